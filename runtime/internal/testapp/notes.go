package testapp

import "context"

// Notes is the runtime tests' implementation of the Notes app (written
// by hand): Append appends an entry's text to its account's journal and
// emits the journal.
type Notes struct {
	UnimplementedNotesAgents
}

// Append appends the entry to its account's journal and emits the journal.
func (Notes) Append(ctx context.Context, in *Entry, out NotesAppendEmitter) error {
	var j *Journal
	if err := out.Journals().Update(ctx, func(v *Journal) error {
		v.AccountId = in.GetAccountId()
		v.Text += in.GetText()
		j = v
		return nil
	}); err != nil {
		return err
	}
	return out.EmitJournal(ctx, j)
}
