package worker

import (
	"fmt"
	"time"

	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/observe"
)

// A Kafka client that librdkafka declares fatal (kafka.ErrFatal) cannot be
// used again; neither can an at-least-once producer whose records timed
// out (the cluster was unreachable for message.timeout.ms). The thread
// then replaces its clients and rejoins the group: a transient outage
// never ends a worker. Its partitions are handed back as lost, so nothing
// done since the last commit is committed: the group's next owner (often
// this thread again) processes it from the committed offsets — at least
// once: again; exactly once: the open transaction is aborted first.

// replaceGap is how soon after a replacement another fatal error stops
// the worker instead: a client fenced again at once means another live
// worker uses this worker's instance id (static membership, or the
// transactional id under exactly-once).
const replaceGap = 30 * time.Second

// requestReplace asks the poll loop to replace the thread's clients
// (any goroutine: the producer's delivery callback calls it).
func (t *thread) requestReplace(why error) { t.replaceWhy.set(why) }

// replaceRequested returns why the clients must be replaced, once, or nil.
func (t *thread) replaceRequested() error { return t.replaceWhy.take() }

// replaceClients hands every partition back as lost, closes the consumer
// (and, with producerToo, the producer), and creates new ones, which join
// the group again. It runs in the poll goroutine, outside Poll. The error
// is one that ends the worker: a second fatal error within replaceGap, or
// a client that cannot be created (its configuration).
func (t *thread) replaceClients(why error, producerToo bool) error {
	if !t.lastReplace.IsZero() && time.Since(t.lastReplace) < replaceGap {
		hint := ""
		if t.w.cfg.static || t.w.exactlyOnce {
			hint = fmt.Sprintf(" (is another live worker using instance id %q?)", t.w.cfg.instanceID)
		}
		return fmt.Errorf("streamgen worker: the Kafka clients failed fatally twice within %v%s: %w", replaceGap, hint, why)
	}
	t.lastReplace = time.Now()
	t.log.Warn("replacing the Kafka clients and rejoining the group; the partitions are handed back as lost and processed again from their committed offsets",
		"error", why, "producer_too", producerToo)
	owned := append(t.running(), t.restoringPartitions()...)
	t.stopRestores(t.restoringPartitions())
	// Partitions waiting for a rewind first: revoking the running ones
	// (not in a rebalance callback) would otherwise rewind them on the
	// failed consumer and start them again.
	t.commit.dropAll()
	t.commit.revoke(t.running(), true)
	t.tickCommits, t.tickDirty = 0, nil // the new consumer rejoins; its results queue is new
	if t.standby != nil {
		t.standby.revoked(owned)
	}
	t.joined = false
	t.w.hooks.onRebalance(observe.Rebalance{Thread: t.id, Revoked: partitions(owned), Lost: true})
	t.reportState()
	// Close runs the revocation callback for what librdkafka still thinks
	// is assigned (if it does for a failed consumer): nothing is running
	// any more, so it finds nothing.
	if err := t.consumer.Close(); err != nil {
		t.log.Warn("closing the failed consumer", "error", err)
	}
	t.consumer = nil // a client that failed to be created again is never used (run checks)
	if producerToo {
		t.producer.Abandon()
		t.producer = nil
		p, err := t.commit.newProducer()
		if err != nil {
			return err
		}
		t.producer = p
	}
	c, err := kafka.NewConsumer(t.ccfg, t)
	if err != nil {
		return fmt.Errorf("streamgen worker: creating the consumer again: %w", err)
	}
	t.consumer = c
	// Delivery reports of the old producer that arrived while it was
	// replaced asked for this replacement again: forget them.
	t.replaceWhy.take()
	return nil
}
