package web

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/streamgen/streamgen/runtime/observe"
)

// Member is a consumer group member as the group describes it (one per
// stream thread of each worker).
type Member struct {
	// ClientID is the member's client.id.
	ClientID string
	// URL is the HTTP base URL the member advertises ("" when its worker
	// serves no HTTP).
	URL string
	// Partitions are the partitions the group assigned it.
	Partitions []observe.Partition
}

// Group is the JSON body of GET /api/group: every worker of the app's
// consumer group and its status, as one worker sees them.
type Group struct {
	// App is the app id (the group); Self is the URL of the worker that
	// answered.
	App  string `json:"app"`
	Self string `json:"self"`
	// Time is when this worker's status was taken.
	Time time.Time `json:"time"`
	// Error is set when the group could not be described (the cluster is
	// unreachable, or the group is rebalancing): Members then holds this
	// worker only.
	Error string `json:"error,omitempty"`
	// Members are the group's workers, this one first, then by URL;
	// members that serve no HTTP each on their own.
	Members []GroupMember `json:"members"`
}

// GroupMember is a worker of the group: its group members (stream
// threads) merged by the URL they advertise.
type GroupMember struct {
	// URL is the worker's HTTP base URL, "" when it serves no HTTP.
	URL string `json:"url"`
	// Self is set for the worker that answered.
	Self bool `json:"self"`
	// ClientIDs are its group members' client ids, sorted.
	ClientIDs []string `json:"client_ids"`
	// Assigned are the partitions the group assigned it ("topic/partition"),
	// by topic and partition.
	Assigned []string `json:"assigned"`
	// Reachable is set when its status was read; Error says why not.
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
	// Status is its GET /status, when Reachable.
	Status *Status `json:"status,omitempty"`
}

// group answers GET /api/group.
func (p *page) group(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), p.cfg.MemberTimeout+2*time.Second)
	defer cancel()
	self := p.s.workerStatus(p.cfg.App, p.cfg.URL)
	g := Group{App: self.App, Self: p.cfg.URL, Time: self.Time}
	members, err := p.members(ctx)
	if err != nil {
		g.Error = fmt.Sprintf("describing consumer group %q: %v", self.App, err)
	}
	// Merge the group's members by URL.
	byURL := map[string]*GroupMember{}
	assigned := map[*GroupMember][]observe.Partition{}
	for _, m := range members {
		key := m.URL
		if key == "" {
			key = "client:" + m.ClientID
		}
		gm := byURL[key]
		if gm == nil {
			gm = &GroupMember{URL: m.URL, ClientIDs: []string{}, Assigned: []string{}}
			byURL[key] = gm
		}
		gm.ClientIDs = append(gm.ClientIDs, m.ClientID)
		assigned[gm] = append(assigned[gm], m.Partitions...)
	}
	if byURL[p.cfg.URL] == nil {
		byURL[p.cfg.URL] = &GroupMember{URL: p.cfg.URL, ClientIDs: []string{}, Assigned: []string{}}
	}
	var wg sync.WaitGroup
	for _, gm := range byURL {
		slices.Sort(gm.ClientIDs)
		for _, tp := range sortedPartitions(assigned[gm]) {
			gm.Assigned = append(gm.Assigned, tp.String())
		}
		switch {
		case gm.URL == p.cfg.URL:
			gm.Self, gm.Reachable, gm.Status = true, true, &self
		case gm.URL == "":
			gm.Error = "serves no HTTP"
		default:
			wg.Go(func() {
				st, err := p.memberStatus(ctx, gm.URL)
				if err != nil {
					gm.Error = err.Error()
					return
				}
				gm.Reachable, gm.Status = true, st
			})
		}
	}
	wg.Wait()
	for _, gm := range byURL {
		g.Members = append(g.Members, *gm)
	}
	slices.SortFunc(g.Members, func(a, b GroupMember) int {
		return cmp.Or(boolCompare(b.Self, a.Self), cmp.Compare(a.URL, b.URL), slices.Compare(a.ClientIDs, b.ClientIDs))
	})
	writeJSON(w, g)
}

// members returns the group's members, described at most once a second
// however many pages poll.
func (p *page) members(ctx context.Context) ([]Member, error) {
	if p.cfg.Members == nil {
		return nil, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); now.Sub(p.describedAt) >= time.Second {
		p.described, p.describeErr = p.cfg.Members(ctx)
		p.describedAt = now
	}
	return p.described, p.describeErr
}

// memberStatus reads another worker's GET /status.
func (p *page) memberStatus(ctx context.Context, url string) (*Status, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.MemberTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/status", nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("not answering: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /status: %s", resp.Status)
	}
	var st Status
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(&st); err != nil {
		return nil, fmt.Errorf("GET /status: %v", err)
	}
	return &st, nil
}

func sortedPartitions(ps []observe.Partition) []observe.Partition {
	slices.SortFunc(ps, func(a, b observe.Partition) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return ps
}

// writeJSON answers 200 with v in JSON, not cached.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}
