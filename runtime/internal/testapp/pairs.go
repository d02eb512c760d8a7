package testapp

import "context"

// Pairs is the runtime tests' implementation of the Pairs app (a
// windowed stream-stream outer join of clicks and views): it emits each
// pair it is handed, and each click or view without a partner.
type Pairs struct {
	UnimplementedPairsAgents
}

// Pair emits the pair, with 0 for a side that is nil.
func (Pairs) Pair(ctx context.Context, in *AdClick, view *AdView, out PairsPairEmitter) error {
	p := &AdPair{User: in.GetUser() + view.GetUser(), ClickSeq: in.GetSeq(), ViewSeq: view.GetSeq()}
	if in != nil && view != nil {
		p.User = in.GetUser()
	}
	return out.EmitAdPair(ctx, p)
}

// HistPairs is the runtime tests' implementation of the HistPairs app (a
// windowed stream-stream left join): it emits each pair, and each click
// without a view.
type HistPairs struct {
	UnimplementedHistPairsAgents
}

// Pair emits the pair, view_seq 0 for a click without a view.
func (HistPairs) Pair(ctx context.Context, in *HistClick, view *HistView, out HistPairsPairEmitter) error {
	return out.EmitAdPair(ctx, &AdPair{User: in.GetUser(), ClickSeq: in.GetSeq(), ViewSeq: view.GetSeq()})
}

// InnerPairs is the runtime tests' implementation of the InnerPairs app
// (the Pairs join, inner): it emits each pair.
type InnerPairs struct {
	UnimplementedInnerPairsAgents
}

// Pair emits the pair.
func (InnerPairs) Pair(ctx context.Context, in *AdClick, view *AdView, out InnerPairsPairEmitter) error {
	return out.EmitAdPair(ctx, &AdPair{User: in.GetUser(), ClickSeq: in.GetSeq(), ViewSeq: view.GetSeq()})
}
