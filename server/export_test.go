package server

// UploadLimiters is how many per-upload rate buckets s holds.
func UploadLimiters(s *Server) int { return s.perUpload.len() }
