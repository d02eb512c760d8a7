package worker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// notAHook implements no hook interface: OnCommited is a typo of OnCommit.
type notAHook struct{}

func (notAHook) OnCommited(worker.Commit) {}

// TestOptionErrors: options are checked before the worker connects to
// anything: a hook implementing no hook interface is an error naming it,
// and a worker without brokers says where an embedded broker comes from.
func TestOptionErrors(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterCheckoutAgents(app, checkout{}); err != nil {
		t.Fatal(err)
	}
	t.Setenv(worker.EnvBrokers, "")
	err := worker.Run(context.Background(), app, worker.WithBrokers("127.0.0.1:1"), worker.WithHooks(&restores{}, notAHook{}))
	if err == nil || !strings.Contains(err.Error(), "hook 1 (worker_test.notAHook) implements none of") {
		t.Errorf("Run with a hook that implements nothing = %v, want an error naming hook 1", err)
	}
	err = worker.Run(context.Background(), app)
	if err == nil || !strings.Contains(err.Error(), "no brokers") || !strings.Contains(err.Error(), "embedded broker") {
		t.Errorf("Run without brokers = %v, want an error saying to set brokers or use the command line's embedded broker", err)
	}
}
