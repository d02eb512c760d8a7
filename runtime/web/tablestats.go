package web

import (
	"strconv"

	"github.com/streamgen/streamgen/runtime/observe"
)

// tableSeries names one store's series: streamgen_table_keys, and
// streamgen_standby_lag_records for a standby.
type tableSeries struct {
	table     string
	partition string
	standby   bool
}

// OnTables implements observe.TableHook: it sets each store's estimated
// key count and each standby's changelog lag, removes the series of the
// stores the thread no longer reports (moved, closed), and keeps the
// report for the page (GET /status).
func (m *Metrics) OnTables(thread int, tables []observe.TableStats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[tableSeries]bool{}
	for _, ts := range tables {
		k := tableSeries{ts.Table, strconv.Itoa(int(ts.Partition)), ts.Standby}
		seen[k] = true
		replica := "active"
		if ts.Standby {
			replica = "standby"
			if ts.LagRecords >= 0 {
				m.standbyLag.WithLabelValues(k.table, k.partition).Set(float64(ts.LagRecords))
			}
		}
		if ts.Keys >= 0 {
			m.tableKeys.WithLabelValues(k.table, k.partition, replica).Set(float64(ts.Keys))
		}
	}
	for k := range m.tableSeen[thread] {
		if seen[k] {
			continue
		}
		if k.standby {
			m.tableKeys.DeleteLabelValues(k.table, k.partition, "standby")
			m.standbyLag.DeleteLabelValues(k.table, k.partition)
		} else {
			m.tableKeys.DeleteLabelValues(k.table, k.partition, "active")
		}
	}
	m.tableSeen[thread] = seen
	m.live.setTables(thread, tables)
}
