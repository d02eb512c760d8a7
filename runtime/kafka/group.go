package kafka

import (
	"context"
	"fmt"
	"sync"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// GroupMember is a member of a consumer group and the partitions the
// group assigned it.
type GroupMember struct {
	// ClientID is the member's client.id.
	ClientID string
	// Host is where the broker saw the member connect from.
	Host string
	// Partitions are the member's assigned partitions.
	Partitions []TopicPartition
}

// Groups describes consumer groups through one long-lived admin client
// (librdkafka's DescribeConsumerGroups). It is safe for concurrent use.
type Groups struct {
	mu    sync.Mutex
	cfg   Config
	admin *ck.AdminClient
	close func()
	wm    *ck.Producer // for watermark queries, created at the first
	logs  chan ck.LogEvent
}

// NewGroups returns a Groups connecting with cfg; the admin client is
// created at the first Describe.
func NewGroups(cfg Config) *Groups { return &Groups{cfg: cfg} }

// Describe returns the members of group and their assignments. An error
// is returned when the cluster cannot be asked or the group is not there
// (a group that is rebalancing has no assignments yet: members come back
// with no partitions).
func (g *Groups) Describe(ctx context.Context, group string) ([]GroupMember, error) {
	g.mu.Lock()
	if g.admin == nil {
		admin, closeFn, err := newAdmin(g.cfg)
		if err != nil {
			g.mu.Unlock()
			return nil, err
		}
		g.admin, g.close = admin, closeFn
	}
	admin := g.admin
	g.mu.Unlock()
	res, err := admin.DescribeConsumerGroups(ctx, []string{group})
	if err != nil {
		return nil, fmt.Errorf("describing group %q: %w", group, err)
	}
	if len(res.ConsumerGroupDescriptions) != 1 {
		return nil, fmt.Errorf("describing group %q: %d descriptions returned", group, len(res.ConsumerGroupDescriptions))
	}
	d := res.ConsumerGroupDescriptions[0]
	if d.Error.Code() != ck.ErrNoError {
		return nil, fmt.Errorf("describing group %q: %v", group, d.Error)
	}
	members := make([]GroupMember, 0, len(d.Members))
	for _, m := range d.Members {
		gm := GroupMember{ClientID: m.ClientID, Host: m.Host}
		for _, tp := range m.Assignment.TopicPartitions {
			if tp.Topic != nil {
				gm.Partitions = append(gm.Partitions, TopicPartition{Topic: *tp.Topic, Partition: tp.Partition})
			}
		}
		members = append(members, gm)
	}
	return members, nil
}

// HighWatermark asks the partition's leader for the offset after its last
// record (one request; librdkafka's query_watermark_offsets), waiting at
// most timeout.
func (g *Groups) HighWatermark(tp TopicPartition, timeout time.Duration) (int64, error) {
	g.mu.Lock()
	if g.wm == nil {
		m, err := g.cfg.adminConfig()
		logs := make(chan ck.LogEvent, 64)
		if err == nil {
			_ = m.SetKey("go.logs.channel", logs)
			g.wm, err = ck.NewProducer(&m)
		}
		if err != nil {
			g.mu.Unlock()
			return -1, fmt.Errorf("kafka client: %w", err)
		}
		g.logs = logs
		go routeLogs(g.cfg.Logger, logs) // until Close closes logs
	}
	p := g.wm
	g.mu.Unlock()
	_, hi, err := p.QueryWatermarkOffsets(tp.Topic, tp.Partition, int(timeout/time.Millisecond))
	if err != nil {
		return -1, fmt.Errorf("high watermark of %s: %w", tp, err)
	}
	return hi, nil
}

// Close releases the clients.
func (g *Groups) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.close != nil {
		g.close()
		g.admin, g.close = nil, nil
	}
	if g.wm != nil {
		g.wm.Close()
		close(g.logs)
		g.wm, g.logs = nil, nil
	}
}
