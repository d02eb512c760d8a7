package worker

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/state"
)

// Exactly-once processing (GUARANTEE_EXACTLY_ONCE), in Kafka's EOS v2
// model: each stream thread has one transactional producer. Every commit
// interval the poll goroutine
//
//  1. stops handing out records and puts a barrier into every lane: each
//     lane finishes the records before it, sends its gathered outputs and
//     changelog records, hands over its deferred store writes and waits;
//  2. sends the offsets after the last record of each partition to the
//     transaction, with the consumer's group metadata, and commits it:
//     outputs, dead letters, changelog records and input offsets of the
//     interval become visible to read_committed readers together, or not
//     at all;
//  3. on success, writes the interval's table writes into the stores, moves
//     the stores' checkpoints, begins the next transaction and releases the
//     lanes.
//
// So a store never holds a write of a transaction that did not commit:
// writes wait in the lanes' caches (which serve the lanes' reads) until
// the commit, and a store's checkpoint is a changelog offset below which
// every record is committed and in the store. After a crash the store is
// at most missing the last committed writes, which the restore reads from
// the changelog (read_committed: aborted records are never read back).
//
// On failure (librdkafka's transactional error rules, see kafka.TxnError):
// a retriable error repeats the call; an error that requires abort aborts
// the transaction, drops the partitions' in-memory state (lanes, caches,
// window indexes), rewinds the consumer to the committed offsets and
// starts the partitions again on the same stores, which hold exactly the
// committed state; a fatal error (e.g. the producer was fenced) does the
// same with a new producer under the same transactional id.

// barrier is one commit's stop of every lane of a stream thread.
type barrier struct {
	ready   sync.WaitGroup
	release chan struct{}
	ok      bool // the commit succeeded; set before release is closed

	mu     sync.Mutex
	writes []storeWrite
}

// storeWrite is a batch of table writes waiting for its transaction.
type storeWrite struct {
	ts    *tableStore
	batch []state.KV
}

func (b *barrier) add(ws []storeWrite) {
	if len(ws) == 0 {
		return
	}
	b.mu.Lock()
	b.writes = append(b.writes, ws...)
	b.mu.Unlock()
}

// txnTimeout bounds each transactional call.
const txnTimeout = 30 * time.Second

func (w *worker) newProducer() (*kafka.Producer, error) {
	p, err := kafka.NewProducer(kafka.ProducerConfig{Config: w.kcfg, TransactionalID: w.txnID}, w.ack)
	if err != nil || !w.eos {
		return p, err
	}
	// init_transactions: retriable errors may be retried (librdkafka:
	// "the application may retry"); anything else is fatal here.
	for attempt := 0; ; attempt++ {
		err = p.InitTransactions(txnTimeout)
		var te *kafka.TxnError
		if err == nil || !errors.As(err, &te) || !te.Retriable || attempt == 5 || w.procCtx.Err() != nil {
			break
		}
		w.log.Warn("initialising transactions failed; retrying", "error", err)
	}
	if err == nil {
		err = p.BeginTransaction()
	}
	if err != nil {
		p.Abandon()
		return nil, fmt.Errorf("streamgen worker: transactional producer %q: %w", w.txnID, err)
	}
	return p, nil
}

// txnProduceFailed records that a record of the open transaction was
// refused (a produce call or its delivery report): the transaction must
// not commit.
func (w *worker) txnProduceFailed(err error) {
	w.produceMu.Lock()
	if w.produceErr == nil {
		w.produceErr = err
	}
	w.produceMu.Unlock()
}

// barrier stops every running lane after the records handed to it. A
// lane working through a backlog of slow records holds the barrier (and
// the poll loop) until it is done with them — unless the worker stops
// meanwhile: then stopping is set, the lanes skip what they still hold
// (which marks their partitions skipped, so the interval aborts) and the
// barrier waits for one record's handling at most.
func (w *worker) barrier() *barrier {
	b := &barrier{release: make(chan struct{})}
	for _, p := range w.parts {
		for _, ls := range p.lanes {
			for _, l := range ls {
				b.ready.Add(1)
				bar := &inflight{bar: b}
				select {
				case l.ch <- bar:
				case <-w.loopDone:
					w.stopping.Store(true)
					l.ch <- bar
				}
			}
		}
	}
	ready := make(chan struct{})
	go func() { b.ready.Wait(); close(ready) }()
	select {
	case <-ready:
	case <-w.loopDone:
		w.stopping.Store(true)
		<-ready
	}
	return b
}

// commitTxn commits the open transaction with the input offsets of every
// record handed out so far, then begins the next one. beforeRelease, if
// set, runs after a successful commit while the lanes are still stopped.
// On failure the transaction is aborted and the partitions replay from
// their committed offsets; commitTxn then returns the error.
func (w *worker) commitTxn(beforeRelease func(), gone map[kafka.TopicPartition]bool) error {
	if w.failure() != nil {
		return w.failure()
	}
	b := w.barrier()
	var offs []kafka.Offset
	for _, p := range w.parts {
		if p.next > p.committed {
			offs = append(offs, kafka.Offset{TopicPartition: p.tp, Offset: p.next})
		}
	}
	w.produceMu.Lock()
	perr := w.produceErr
	w.produceMu.Unlock()
	var err error
	if perr != nil {
		err = fmt.Errorf("a record of the transaction was refused: %w", perr)
		if ferr := w.producer.FatalError(); ferr != nil {
			err = ferr // the refusal came from a fatal state: a new producer is needed
		}
	}
	for _, p := range w.parts {
		if p.skipped.Load() && err == nil {
			// A stopping lane left records of the interval unprocessed
			// (with concurrency > 1, records after them may be done): the
			// interval cannot commit; its records are processed again.
			err = fmt.Errorf("stopping: partition %s has records not processed; the next owner processes the interval again", p.tp)
		}
	}
	if len(offs) == 0 && !w.dirty.Load() && len(b.writes) == 0 && err == nil {
		if beforeRelease != nil {
			beforeRelease()
		}
		b.ok = true
		close(b.release)
		return nil
	}
	// Every changelog record acknowledged so far belongs to this
	// transaction or an earlier one: once it commits, these offsets are
	// safe checkpoints (acknowledgements still on their way only make the
	// checkpoint lag, never lead).
	acked := map[*tableStore]int64{}
	for _, p := range w.parts {
		for _, ts := range p.stores {
			acked[ts] = ts.ackedNext.Load()
		}
	}
	start := time.Now()
	if err == nil {
		err = w.retry(func() error { return w.producer.SendOffsets(offs, w.consumer, txnTimeout) })
	}
	if err == nil {
		err = w.retry(func() error { return w.producer.CommitTransaction(txnTimeout) })
	}
	if err != nil {
		w.commitHooks(Commit{Took: time.Since(start), Partitions: len(offs), Err: err})
		w.recoverTxn(b, err, gone)
		return err
	}
	for _, sw := range b.writes {
		if err := sw.ts.store.Write(sw.batch); err != nil {
			w.fail(fmt.Errorf("streamgen worker: writing table %q: %w", sw.ts.desc.Name, err))
		}
	}
	for _, ts := range w.sharedStores() {
		// A table of several writers: its flushed batches, in order; then
		// the store holds everything and the shared cache starts over
		// (every lane is stopped at the barrier, nothing is pending).
		for _, batch := range ts.shared.deferred {
			if err := ts.store.Write(batch); err != nil {
				w.fail(fmt.Errorf("streamgen worker: writing table %q: %w", ts.desc.Name, err))
			}
		}
		ts.shared.reset()
	}
	for ts, next := range acked {
		if next > ts.committedNext.Load() {
			ts.committedNext.Store(next)
		}
	}
	for _, p := range w.parts {
		p.committed = p.next
		p.committedStream.Store(p.streamMs.Load())
	}
	w.dirty.Store(false)
	w.commitHooks(Commit{Took: time.Since(start), Partitions: len(offs)})
	if err := w.producer.BeginTransaction(); err != nil {
		w.fail(fmt.Errorf("streamgen worker: %w", err))
	}
	if beforeRelease != nil {
		beforeRelease()
	}
	b.ok = true
	close(b.release)
	return nil
}

// sharedStores returns the open stores of the running partitions that
// several agents write, each once.
func (w *worker) sharedStores() []*tableStore {
	var out []*tableStore
	for _, p := range w.parts {
		for _, ts := range p.stores {
			if ts.shared != nil && !slices.Contains(out, ts) {
				out = append(out, ts)
			}
		}
	}
	return out
}

// retry runs a transactional call again while librdkafka says the error
// is retriable (rd_kafka_error_is_retriable: "the operation may be
// retried"), a few times.
func (w *worker) retry(call func() error) error {
	for attempt := 0; ; attempt++ {
		err := call()
		var te *kafka.TxnError
		if err == nil || !errors.As(err, &te) || !te.Retriable || attempt == 10 || w.procCtx.Err() != nil {
			return err
		}
		w.log.Warn("transactional call failed; retrying", "error", err)
		time.Sleep(100 * time.Millisecond)
	}
}

// recoverTxn handles a transaction that cannot commit: it aborts it (or,
// when the producer failed fatally, replaces the producer, whose
// initialisation aborts it), drops the in-memory state of every running
// partition (lanes, their caches and window indexes), starts the
// partitions again on their stores, which hold exactly the committed
// state, and rewinds the consumer to the committed offsets — except
// partitions in gone, which are leaving: their stores close.
func (w *worker) recoverTxn(b *barrier, cause error, gone map[kafka.TopicPartition]bool) {
	w.log.Warn("exactly-once: transaction aborted; replaying from the committed offsets", "error", cause)
	var te *kafka.TxnError
	fatal := errors.As(cause, &te) && te.Fatal
	if !fatal {
		// abort_transaction: retriable errors may be retried; a fatal
		// error means a new producer.
		if err := w.retry(func() error { return w.producer.AbortTransaction(txnTimeout) }); err != nil {
			w.log.Warn("aborting the transaction failed; replacing the producer", "error", err)
			w.commitHooks(Commit{Err: err})
			fatal = true
		}
	}
	// Stop every running partition without letting anything more out.
	shared := w.sharedStores()
	var old []*partition
	for tp, p := range w.parts {
		p.discard.Store(true)
		old = append(old, p)
		delete(w.parts, tp)
	}
	if b != nil {
		close(b.release)
	}
	stopLanes(old)
	for _, ts := range shared {
		ts.shared.reset() // uncommitted: the replay writes it again
	}
	w.produceMu.Lock()
	w.produceErr = nil
	w.produceMu.Unlock()
	w.dirty.Store(false)
	if fatal {
		if !w.fatalAt.IsZero() && time.Since(w.fatalAt) < 30*time.Second {
			w.fail(fmt.Errorf("streamgen worker: the transactional producer failed fatally twice within 30 s (is another live worker using instance id %q?): %w", w.cfg.instanceID, cause))
		} else {
			w.fatalAt = time.Now()
			w.producer.Abandon()
			p, err := w.newProducer()
			if err != nil {
				w.fail(err)
			} else {
				w.producer = p
			}
		}
	} else if err := w.producer.BeginTransaction(); err != nil {
		w.fail(fmt.Errorf("streamgen worker: %w", err))
	}
	for _, p := range old {
		if gone[p.tp] || w.failure() != nil {
			w.closeTables(p, true)
			continue
		}
		w.rewinds = append(w.rewinds, p)
	}
	if !w.inCallback {
		w.finishRewinds()
	}
	// Inside a rebalance callback the committed offsets cannot be fetched
	// (the group is rebalancing; the fetch waited until it timed out): the
	// poll loop rewinds right after Poll returns.
}

// finishRewinds rewinds the consumer to the committed offsets of the
// partitions stopped by an abort and starts them again on their stores.
// A rewind that fails three times stops the worker: its partitions go to
// another (or to it, restarted), from the committed offsets.
func (w *worker) finishRewinds() {
	ps := w.rewinds
	w.rewinds = nil
	if len(ps) == 0 {
		return
	}
	var tps []kafka.TopicPartition
	for _, p := range ps {
		tps = append(tps, p.tp)
	}
	var offs []int64
	var err error
	for attempt := 0; attempt < 3 && w.procCtx.Err() == nil; attempt++ {
		// librdkafka's transactional example rewinds the same way:
		// committed offsets, then seek; records fetched before the seek
		// are dropped.
		if offs, err = w.consumer.Rewind(tps, 10*time.Second); err == nil {
			break
		}
		w.log.Warn("rewinding to the committed offsets failed; retrying", "partitions", fmt.Sprint(tps), "error", err)
	}
	if err != nil || offs == nil {
		for _, p := range ps {
			w.closeTables(p, true)
		}
		w.fail(fmt.Errorf("streamgen worker: after an aborted transaction: %w", err))
		return
	}
	w.log.Info("exactly-once: rewound to the committed offsets", "partitions", fmt.Sprint(tps), "offsets", fmt.Sprint(offs))
	for i, p := range ps {
		// next guards the committed offset: librdkafka was seen to fetch
		// a partition from its beginning after the seek (an offset query
		// for BEGINNING armed at its assignment fired later); records
		// before the committed offset are done and are dropped.
		np := &partition{tp: p.tp, agents: p.agents, tables: p.tables, stores: p.stores, stored: -1,
			next: max(offs[i], -1), committed: max(offs[i], -1)}
		np.committedStream.Store(p.committedStream.Load())
		np.observe(p.committedStream.Load())
		w.start(np)
	}
}

// dropRewinds closes the stores of partitions waiting for a rewind that
// are revoked (all of them when tps is nil).
func (w *worker) dropRewinds(tps []kafka.TopicPartition) {
	if len(w.rewinds) == 0 {
		return
	}
	gone := map[kafka.TopicPartition]bool{}
	for _, tp := range tps {
		gone[tp] = true
	}
	keep := w.rewinds[:0]
	for _, p := range w.rewinds {
		if tps == nil || gone[p.tp] {
			w.closeTables(p, true)
			continue
		}
		keep = append(keep, p)
	}
	w.rewinds = keep
}

// revokedTxn hands partitions back under exactly-once: the open
// transaction commits first (so the next owner starts exactly after it),
// then the partitions' lanes stop and their stores close. Lost partitions
// (the group moved on without us) cannot commit: the transaction aborts
// and the partitions this thread keeps replay from their committed offsets.
func (w *worker) revokedTxn(tps []kafka.TopicPartition, lost bool) {
	gone := map[kafka.TopicPartition]bool{}
	for _, tp := range tps {
		gone[tp] = true
	}
	if lost {
		w.recoverTxn(w.barrier(), errors.New("partitions lost"), gone)
		return
	}
	var ps []*partition
	err := w.commitTxn(func() {
		for _, tp := range tps {
			if p := w.parts[tp]; p != nil {
				p.discard.Store(true)
				ps = append(ps, p)
				delete(w.parts, tp)
			}
		}
	}, gone)
	if err != nil {
		return // recoverTxn dropped them
	}
	stopLanes(ps)
	for _, p := range ps {
		w.closeTables(p, true)
	}
}

// Commit describes one committed transaction (exactly-once), for
// CommitHooks.
type Commit struct {
	// Took is how long sending the offsets and committing took, after the
	// lanes stopped.
	Took time.Duration
	// Partitions is how many input partitions' offsets moved.
	Partitions int
	// Err is set when the transaction could not commit: it was aborted and
	// its records are processed again.
	Err error
}

// CommitHook is implemented by hooks (WithHooks) that want to observe
// exactly-once commits, e.g. to export commit latency as a metric. It is
// called from the poll goroutine after each commit, after each
// transaction that failed to commit (Commit.Err), and when aborting one
// failed too (Commit.Err, then the producer is replaced).
type CommitHook interface {
	OnCommit(Commit)
}

func (w *worker) commitHooks(c Commit) {
	for _, h := range w.cfg.hooks {
		if ch, ok := h.(CommitHook); ok {
			ch.OnCommit(c)
		}
	}
}
