// Command attribution credits ad clicks to the impressions their user
// saw in the hour before (Kafka Streams' windowed stream-stream join, a
// left join): topics "clicks" and "impressions", both keyed by user id
// with the same partition count, meet in one worker, and each click goes
// out once per impression it follows within the hour, or once
// unattributed when it had none by the time its window closed (a minute
// of grace after it, in event time).
//
//	go run ./examples/09-attribution worker --brokers host:9092
//	kcat -P -b host:9092 -t impressions -K: -X partitioner=murmur2_random <<< "u1:{\"impressionId\":\"i1\",\"userId\":\"u1\",\"campaign\":\"shoes\",\"at\":\"$(date -u -d '-30 min' +%FT%TZ)\"}"
//	kcat -P -b host:9092 -t clicks -K: -X partitioner=murmur2_random <<< "u1:{\"clickId\":\"k1\",\"userId\":\"u1\",\"at\":\"$(date -u -d '-10 min' +%FT%TZ)\"}"
//
// (Event times within the hour before now: an event more than an hour
// ahead of the wall clock is from the future, a dead letter.) A click
// with no impression goes out unattributed once its window has closed
// by event time: when a later record of its partition arrives more than
// a minute after it, e.g. another click of the same user. A quiet
// partition holds it until then.
//
// Clicks and impressions wait in the join's buffer tables, restored from
// their changelogs when a worker restarts or partitions move.
package main

//go:generate go run github.com/streamgen/streamgen/cmd/streamgen -I proto -paths import -module github.com/streamgen/streamgen/examples/09-attribution proto/attribution/v1/attribution.proto

import (
	"context"
	"fmt"
	"os"

	attributionv1 "github.com/streamgen/streamgen/examples/09-attribution/gen/attribution/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/cli"
)

// Agents implements attributionv1.AdsAgents.
type Agents struct {
	attributionv1.UnimplementedAdsAgents
}

// Attribute emits the click credited to the impression, or unattributed
// when impression is nil (the click had none within the hour before it).
func (Agents) Attribute(ctx context.Context, in *attributionv1.Click, impression *attributionv1.Impression, out attributionv1.AdsAttributeEmitter) error {
	a := &attributionv1.Attribution{ClickId: in.GetClickId(), UserId: in.GetUserId()}
	if impression != nil {
		a.Attributed, a.ImpressionId, a.Campaign = true, impression.GetImpressionId(), impression.GetCampaign()
		a.DelayMs = in.GetAt().AsTime().Sub(impression.GetAt().AsTime()).Milliseconds()
	}
	return out.EmitAttribution(ctx, a)
}

// NewApp returns the app with its agents registered.
func NewApp() (*runtime.App, error) {
	app := runtime.NewApp()
	if err := attributionv1.RegisterAdsAgents(app, Agents{}); err != nil {
		return nil, err
	}
	return app, nil
}

func main() {
	app, err := NewApp()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(cli.Main(app))
}
