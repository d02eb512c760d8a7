package web_test

import (
	"fmt"
	"log/slog"
	"net/http/httptest"

	"github.com/streamgen/streamgen/runtime/observe"
	"github.com/streamgen/streamgen/runtime/web"
)

// A worker with one stream thread serves its probes and metrics; here the
// hooks are called by hand, as the worker would.
func Example() {
	m, err := web.NewMetrics(web.MetricsConfig{App: "shop"})
	if err != nil {
		panic(err)
	}
	srv := web.NewServer(web.ServerConfig{Addr: "127.0.0.1:0", Metrics: m, Threads: 1, Logger: slog.New(slog.DiscardHandler)})
	// In a worker: if err := srv.Listen(); err != nil { ... }; go srv.Serve(ctx)

	probe := func(path string) {
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		fmt.Print(path, " ", w.Code, " ", w.Body.String())
	}
	orders0 := observe.Partition{Topic: "orders", Partition: 0}
	m.OnState(observe.State{Thread: 0, Threads: 1, Joined: true, Owned: []observe.Partition{orders0}, Restoring: []observe.Partition{orders0}})
	m.OnRestore(observe.RestoreProgress{Table: "totals", Partition: 0, End: 100, Records: 40})
	probe("/readyz")
	m.OnRestore(observe.RestoreProgress{Table: "totals", Partition: 0, End: 100, Records: 100, Done: true})
	m.OnState(observe.State{Thread: 0, Threads: 1, Joined: true, Owned: []observe.Partition{orders0}})
	probe("/readyz")
	m.OnLag(0, []observe.Lag{{Partition: orders0, Position: 10, HighWatermark: 12}})
	probe("/healthz")
	// Output:
	// /readyz 503 {"ready":false,"threads":1,"partitions":1,"waiting":["1 partition waits for its tables to be restored"],"restoring":["orders/0"],"restores":[{"table":"totals","partition":0,"records":40,"end":100,"remaining":60,"percent":40,"rate":0,"elapsed_seconds":0,"attempt":0}]}
	// /readyz 200 {"ready":true,"threads":1,"partitions":1}
	// /healthz 200 ok
}
