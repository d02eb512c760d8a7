package tableclient

import (
	"net/http"
	"time"
)

// An Option configures a Client (New) or a single call (the generic
// functions and the generated methods take them too; a call's options
// apply after the client's).
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is what the options set.
type config struct {
	httpClient *http.Client
	standby    bool
	attempts   int
	maxDelay   time.Duration
	info       *Info
}

func defaultConfig() config {
	return config{httpClient: http.DefaultClient, attempts: 3, maxDelay: 2 * time.Second}
}

// firstDelay is the wait before the first retry of an error without a
// Retry-After header; each further retry waits twice as long.
const firstDelay = 50 * time.Millisecond

// WithHTTPClient sends requests with h. Default: http.DefaultClient. Set
// timeouts on the context of each call, or on h.
func WithHTTPClient(h *http.Client) Option {
	return optionFunc(func(c *config) { c.httpClient = h })
}

// WithStandby lets a standby replica answer Get and Scan (standby=true): it
// answers while the key's partition moves, and spreads reads, at the price
// of values that may be behind (Info.LagRecords says how far). Default:
// only the partition's active owner answers.
func WithStandby() Option {
	return optionFunc(func(c *config) { c.standby = true })
}

// WithRetry makes at most attempts attempts of a call that fails with a
// retryable *Error (503 while a partition moves), waiting between attempts
// for the server's Retry-After, or else 50ms doubling each time, but never
// longer than maxDelay. attempts 1 (or less) disables retries. Default: 3
// attempts, maxDelay 2s.
func WithRetry(attempts int, maxDelay time.Duration) Option {
	return optionFunc(func(c *config) {
		c.attempts = max(attempts, 1)
		c.maxDelay = max(maxDelay, 0)
	})
}

// WithInfo stores in *into where the answer of a Get or WindowAt came
// from: its partition, and for Get its source and lag. Pass it to a call,
// not to New. Default: not stored.
func WithInfo(into *Info) Option {
	return optionFunc(func(c *config) { c.info = into })
}

// delay is the wait before retry number n (1 for the first) after an
// error whose Retry-After is retryAfter (0: absent).
func (c *config) delay(n int, retryAfter time.Duration) time.Duration {
	d := retryAfter
	if d <= 0 {
		d = firstDelay << min(n-1, 16)
	}
	return min(d, c.maxDelay)
}
