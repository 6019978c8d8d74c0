package client

// Routes of the server's /v1 API (see docs/api.md). They mirror the
// constants of server/api.
const (
	pathUploads     = "/v1/uploads"
	pathManifest    = "/v1/manifest"
	pathManifestSig = "/v1/manifest.minisig"
	pathSubmissions = "/v1/submissions"
	pathAcks        = "/v1/acks"
	pathEvents      = "/v1/events"
)
