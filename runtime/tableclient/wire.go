package tableclient

import (
	"encoding/json"
	"time"
)

// The JSON bodies of the protocol (see the package doc). The client
// decodes them; a server may encode them, so both sides spell the fields
// alike. Values are protojson, kept raw here.

// Source says which replica answered a read.
type Source string

// The sources of an answer.
const (
	// SourceActive is the partition's active owner.
	SourceActive Source = "active"
	// SourceStandby is a standby replica, only with WithStandby.
	SourceStandby Source = "standby"
	// SourceGlobal is any worker, for a global table.
	SourceGlobal Source = "global"
)

// KeyResponse is the body of GET /tables/{table}/keys/{key}.
type KeyResponse struct {
	Table      string          `json:"table"`
	Key        string          `json:"key"`
	Partition  int32           `json:"partition"`
	Found      bool            `json:"found"`
	Value      json.RawMessage `json:"value,omitempty"`
	Source     Source          `json:"source"`
	LagRecords int64           `json:"lag_records"`
}

// ScanResponse is the body of GET /tables/{table}/keys.
type ScanResponse struct {
	Entries       []ScanEntry `json:"entries"`
	NextPageToken string      `json:"next_page_token,omitempty"`
}

// ScanEntry is one key of a ScanResponse.
type ScanEntry struct {
	Key       string          `json:"key"`
	Partition int32           `json:"partition"`
	Value     json.RawMessage `json:"value"`
}

// WindowResponse is the body of GET /tables/{table}/keys/{key}/windows?at=T.
type WindowResponse struct {
	Table     string          `json:"table"`
	Key       string          `json:"key"`
	Partition int32           `json:"partition"`
	Found     bool            `json:"found"`
	Start     time.Time       `json:"start"`
	End       time.Time       `json:"end"`
	Value     json.RawMessage `json:"value,omitempty"`
}

// WindowsResponse is the body of GET
// /tables/{table}/keys/{key}/windows?from=T1&to=T2.
type WindowsResponse struct {
	Windows []WindowEntry `json:"windows"`
}

// WindowEntry is one window of a WindowsResponse.
type WindowEntry struct {
	Start time.Time       `json:"start"`
	End   time.Time       `json:"end"`
	Value json.RawMessage `json:"value"`
}

// ErrorResponse is the body of every response with a status other than
// 2xx.
type ErrorResponse struct {
	Error     string `json:"error"`
	Retryable bool   `json:"retryable"`
}
