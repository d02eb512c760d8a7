package testapp

import (
	"context"

	"github.com/streamgen/streamgen/runtime"
)

// Tallies is the runtime tests' implementation of the Tallies app
// (written by hand): Count adds each hit to its key's tally, and each tick
// of Drain reports the partition's tallies and deletes them. Fail, if set,
// is asked first on each tick: an error it returns is the tick's.
type Tallies struct {
	UnimplementedTalliesAgents
	Fail func(tick runtime.Tick) error
}

// Count adds a hit to its key's tally.
func (Tallies) Count(ctx context.Context, in *Hit, out TalliesCountEmitter) error {
	return out.Tallies().Update(ctx, func(v *HitCount) error {
		v.N++
		return nil
	})
}

// Drain reports the sum of the partition's tallies and how many keys had
// one, and deletes them.
func (a Tallies) Drain(ctx context.Context, tick runtime.Tick, out TalliesDrainEmitter) error {
	if a.Fail != nil {
		if err := a.Fail(tick); err != nil {
			return err
		}
	}
	d := &Drained{Partition: tick.Partition, TickMs: tick.Time.UnixMilli(), Missed: int32(tick.Missed)}
	err := out.Tallies().Scan(ctx, "", func(key string, v *HitCount) error {
		d.Hits += v.GetN()
		d.Keys++
		return out.Tallies().Delete(ctx, key)
	})
	if err != nil {
		return err
	}
	return out.EmitDrained(ctx, d)
}
