package lane

import (
	"time"

	"github.com/streamgen/streamgen/runtime"
)

// batch is a batch agent's lane's open batch (runtime.BatchDesc): the
// inputs handed to the lane and not yet given to the handler.
type batch struct {
	desc  *runtime.BatchDesc
	ins   []*Input
	first time.Time // when ins[0] came, on Config.Now's clock
}

// now is the lane's clock for batch deadlines: Config.Now, else the wall
// clock.
func (l *Lane) now() time.Time {
	if l.cfg.Now != nil {
		return l.cfg.Now()
	}
	return time.Now()
}

// addToBatch adds f to the open batch and hands the batch to the handler
// once it holds MaxRecords inputs.
func (l *Lane) addToBatch(f *Input) {
	b := l.batch
	if len(b.ins) == 0 {
		b.first = l.now()
	}
	b.ins = append(b.ins, f)
	if len(b.ins) >= b.desc.MaxRecords {
		l.FlushBatch()
	}
}

// BatchDue returns when the open batch is due (MaxWait after its first
// input); ok is false when the lane has no open batch.
func (l *Lane) BatchDue() (due time.Time, ok bool) {
	if l.batch == nil || len(l.batch.ins) == 0 {
		return time.Time{}, false
	}
	return l.batch.first.Add(l.batch.desc.MaxWait), true
}

// FlushDueBatch hands the open batch to the handler if it is due.
func (l *Lane) FlushDueBatch() {
	if due, ok := l.BatchDue(); ok && !l.now().Before(due) {
		l.FlushBatch()
	}
}

// FlushBatch hands the open batch, if any, to the handler: its outputs
// are gathered, counted in the batch's first input's Pending (so no
// offset is committed past the batch before they are acknowledged);
// each input that failed (it did not decode, or the handler failed for
// the whole batch) goes to the error policy on its own, in order. An
// ON_ERROR_STOP failure stops there: that input and the ones after it
// are never released, so nothing from it on is committed.
func (l *Lane) FlushBatch() {
	if l.batch == nil || len(l.batch.ins) == 0 {
		return
	}
	ins := l.batch.ins
	l.batch.ins = nil
	var start time.Time
	if l.cfg.OnProcess != nil {
		start = time.Now()
	}
	recs := make([]*runtime.Record, len(ins))
	for i, f := range ins {
		recs[i] = f.Rec
	}
	res, errs := l.proc.ProcessBatch(l.cfg.Ctx, recs)
	if len(res.Records) > 0 {
		if err := l.checkSizes(recs[0], res); err != nil { // the error names the batch's first record
			// Producing would fail, and again after every restart: the
			// batch's records go to the error policy instead.
			res = runtime.Result{}
			if errs == nil {
				errs = make([]error, len(recs))
			}
			for i := range errs {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		}
	}
	first := ins[0]
	first.Pending.Add(int32(len(res.Records)))
	for _, r := range res.Records {
		l.Emit(r, first)
	}
	for i, f := range ins {
		var err error
		if errs != nil {
			err = errs[i]
		}
		outputs := 0
		if i == 0 {
			outputs = len(res.Records)
		}
		if err == nil {
			l.observe(recs[i], start, outputs, nil, true)
			f.Processed()
			f.release()
			continue
		}
		if !l.deadLetter(f, err) {
			l.observe(recs[i], start, outputs, err, false)
			return
		}
		l.observe(recs[i], start, outputs, err, true)
		f.release()
	}
	if len(l.out) >= MaxProduceBatch {
		l.Produce()
	}
}
