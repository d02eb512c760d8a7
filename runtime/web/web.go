// Package web serves a worker's operational HTTP endpoints and exports its
// metrics: a Prometheus adapter for the hooks of package observe, liveness
// and readiness probes, table queries (HandleTables), and the HTTP server
// that serves them.
//
// A worker creates a Metrics, registers it as a hook (it implements every
// hook interface of package observe), and serves it with a Server:
//
//	m, err := web.NewMetrics(web.MetricsConfig{App: "shop"})
//	...
//	srv := web.NewServer(web.ServerConfig{Addr: "127.0.0.1:6066", Metrics: m, Threads: 4})
//	if err := srv.Listen(); err != nil { ... } // the address is taken, ...
//	go srv.Serve(ctx)                          // until ctx ends
//
// The endpoints:
//
//	GET /healthz  liveness: 200 "ok" while every stream thread's poll loop turns,
//	              503 naming the stuck threads otherwise
//	GET /readyz   readiness: 200 once every thread joined the group and no
//	              partition restores its tables, 503 with a JSON body naming
//	              what it waits for otherwise
//	GET /metrics  the Prometheus text exposition of Metrics.Registry
//	GET /tables/  table queries, with HandleTables (see tables.go): by key,
//	              paginated scans, a key's windows; forwarded to the owner
//
// Other paths answer 404, other methods 405; Server.Handle adds routes.
//
// Files:
//
//	web.go      this overview
//	metrics.go  Metrics: the Prometheus collectors and the hook methods that feed them
//	status.go   the threads' heartbeats and states and the restores in flight, for the probes
//	server.go   Server: listening, serving, graceful shutdown, limits, panic recovery
//	probes.go   the /healthz and /readyz handlers and the readiness JSON
//	tables.go   the table routes: Tables (what a worker provides), reads, scans, windows, forwarding
//	tablestats.go  OnTables: store sizes and standby lag
package web
