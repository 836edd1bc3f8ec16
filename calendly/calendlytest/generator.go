package calendlytest

// startGenerator pre-fills history from Options.Seed and, when Options.Live
// is set, keeps booking, canceling, rescheduling and marking no-shows.
//
// TODO(delivery helper): placeholder.
func (s *Server) startGenerator() {}
