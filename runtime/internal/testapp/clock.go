package testapp

import (
	"context"

	"github.com/streamgen/streamgen/runtime"
)

// Clock is the runtime tests' implementation of the Clock app (written
// by hand): each agent emits a beat per tick. Fail, if set, is asked
// first: an error it returns is the tick's.
type Clock struct {
	UnimplementedClockAgents
	Fail func(agent string, tick runtime.Tick) error
}

func (c Clock) beat(ctx context.Context, agent string, tick runtime.Tick, emit func(context.Context, *Beat) error) error {
	if c.Fail != nil {
		if err := c.Fail(agent, tick); err != nil {
			return err
		}
	}
	return emit(ctx, &Beat{Agent: agent, TickMs: tick.Time.UnixMilli(), Missed: int32(tick.Missed)})
}

// Second emits a beat.
func (c Clock) Second(ctx context.Context, tick runtime.Tick, out ClockSecondEmitter) error {
	return c.beat(ctx, "Second", tick, out.EmitBeat)
}

// Hourly emits a beat.
func (c Clock) Hourly(ctx context.Context, tick runtime.Tick, out ClockHourlyEmitter) error {
	return c.beat(ctx, "Hourly", tick, out.EmitBeat)
}
