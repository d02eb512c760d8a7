// Package examples holds the numbered examples, each a program of its own
// (01-uppercase is a service repository with its own go.mod; 05-accounts
// has the crash harness in ./chaos; 06-activity has a batch agent,
// session windows, an hourly cron on each partition and a timer on the
// leader; 07-revenue groups by a field; 08-orders joins orders with a
// table fed from a topic; 09-attribution joins clicks with impressions in
// a time window; 10-pricing joins order lines with the products they
// name, by foreign key), and their
// end-to-end tests (e2e_test.go): the examples' binaries, the dev broker
// and kcat as separate processes.
package examples
