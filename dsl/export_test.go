package dsl

// Checks runs Build's checks over a built model and returns what they
// report, for tests that show the checks only read the model.
func Checks(m *Model) Errors {
	b := &builder{model: m}
	for _, app := range m.Apps {
		b.checkTables(app)
		b.checkPartitionTimers(app)
		b.checkJoinedStreams(app)
		b.checkTableJoins(app)
	}
	b.checkInternalTopics()
	return b.errs
}
