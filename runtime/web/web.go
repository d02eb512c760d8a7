// Package web serves a worker's operational HTTP endpoints and exports its
// metrics: a Prometheus adapter for the hooks of package observe, liveness
// and readiness probes, table queries (HandleTables), a live page of the
// whole group (HandlePage), and the HTTP server that serves them.
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
//	GET /         the page, with HandlePage (see page.go): the topology with
//	              agents' rates, the workers, partitions, tables, commits,
//	              dead letters; it polls the two JSON routes below
//	GET /status   this worker's Status (JSON)
//	GET /api/group  every worker of the group and its status: Group (JSON)
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
//	page.go     HandlePage: the page, its embedded assets (assets/), the routes
//	livestatus.go  Status, the JSON of GET /status, and how it is taken
//	group.go    Group, the JSON of GET /api/group: the members and their statuses
//	live.go     what the page keeps beyond the series: rates, commit history, dead letters (OnDeadLetter)
package web
