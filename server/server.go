// Package server is refuge-server's HTTP API: resumable tus 1.0 uploads of
// age ciphertext, the signed key manifest, the courier's pull, reply and
// acknowledgement endpoints, and the submitter's status and replies.
//
// # What it guarantees
//
//   - It stores and logs no IP address, user agent, URL, header or precise
//     time; by default it logs nothing per request. Upload-Metadata keys
//     other than those in package api (such as "filename") are dropped
//     before anything is stored.
//   - A finished upload is kept only if it is an age file whose recipient
//     stanzas are all post-quantum ("mlkem768x25519") and, for submissions,
//     exactly as many as the current manifest has recipients.
//   - Bad input gets a 4xx with a JSON [api.Error] and changes nothing.
//   - Ciphertext is deleted only on an acknowledgement signed by the
//     current manifest's ack_key that names the submission and the SHA-256
//     of its stored ciphertext.
//   - Every response carries the security headers of headers.go; no
//     response carries an ETag or Last-Modified.
//
// Durability is the store's (package server/store): every byte the server
// acknowledges (an Upload-Offset it reports) is on disk.
package server

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"refuge/crypto/signing"
	"refuge/server/api"
	"refuge/server/store"
)

// Config is everything a Server needs. Zero values of the limits take
// the defaults documented on each field.
type Config struct {
	Store   store.Store
	RootKey signing.PublicKey // the manifest signing key the server checks PUTs against

	// Log receives start-up and internal error messages only, never
	// anything about a request. Nil discards.
	Log *slog.Logger

	TLS bool // sets Strict-Transport-Security

	MaxUploadSize        int64         // bytes; default 64 GiB
	MinFreeBytes         int64         // disk space uploads never use (see room); default 128 MiB
	MaxConcurrentUploads int           // PATCH bodies in flight; default 64
	MaxJSONBody          int64         // bytes of a JSON request body; default 256 KiB
	MaxHeaderBytes       int           // request line and headers; default 16 KiB (see HTTPServer)
	UploadLifetimeDays   int           // a partial upload expires after this; default 7
	RequestsPerSecond    float64       // global token bucket; default 200
	RequestBurst         int           // default 400
	UploadRequestsPerSec float64       // per upload id; default 5
	UploadRequestBurst   int           // default 20
	MinBodyRate          int64         // bytes/s a PATCH body must keep on average; default 1024
	BodyRateWindow       time.Duration // grace before and window of that check; default 60s
	BodyStall            time.Duration // longest pause between body bytes; default 60s
	MaxRequestLifetime   time.Duration // longest PATCH or download; default 12h
	MaxReplies           int           // replies to one submission; default and most api.MaxReplies (clients refuse more)
	SubmissionsPage      int           // submissions a page of the courier's list holds; default and most api.MaxSubmissionsPage
	// WriteTimeout bounds the writing of every other answer (JSON,
	// errors, the manifest), from the start of the request: a client
	// that never reads its answer gives back its connection and goroutine
	// after it. Default 10 minutes: more than the 8 minutes the refuge
	// client gives a JSON answer, so that a courier on a slow Tor link
	// reading a long list of submissions is never cut by the server first.
	WriteTimeout time.Duration

	// Now is a test knob for the clock (expiry days); nil means time.Now.
	Now func() time.Time
}

// Server is the HTTP API. Create it with New; it is an http.Handler.
type Server struct {
	cfg        Config
	log        *slog.Logger
	handler    http.Handler
	uploads    chan struct{} // semaphore of PATCH bodies in flight
	global     *bucket
	perUpload  *buckets
	recipients recipientCache // of the current manifest, for completions
}

// New checks cfg, fills in defaults and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: no store configured")
	}
	setDefaults(&cfg)
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		cfg:       cfg,
		log:       log,
		uploads:   make(chan struct{}, cfg.MaxConcurrentUploads),
		global:    newBucket(cfg.RequestsPerSecond, cfg.RequestBurst, cfg.Now()),
		perUpload: newBuckets(cfg.UploadRequestsPerSec, cfg.UploadRequestBurst, 4096),
	}
	s.handler = s.routes()
	return s, nil
}

func setDefaults(c *Config) {
	if c.MaxUploadSize <= 0 {
		c.MaxUploadSize = 64 << 30
	}
	if c.MinFreeBytes <= 0 {
		c.MinFreeBytes = 128 << 20
	}
	if c.MaxConcurrentUploads <= 0 {
		c.MaxConcurrentUploads = 64
	}
	if c.MaxJSONBody <= 0 {
		c.MaxJSONBody = 256 << 10
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 16 << 10
	}
	if c.UploadLifetimeDays <= 0 {
		c.UploadLifetimeDays = 7
	}
	if c.RequestsPerSecond <= 0 {
		c.RequestsPerSecond = 200
	}
	if c.RequestBurst <= 0 {
		c.RequestBurst = 400
	}
	if c.UploadRequestsPerSec <= 0 {
		c.UploadRequestsPerSec = 5
	}
	if c.UploadRequestBurst <= 0 {
		c.UploadRequestBurst = 20
	}
	if c.MinBodyRate <= 0 {
		c.MinBodyRate = 1024
	}
	if c.BodyRateWindow <= 0 {
		c.BodyRateWindow = 60 * time.Second
	}
	if c.BodyStall <= 0 {
		c.BodyStall = 60 * time.Second
	}
	if c.MaxRequestLifetime <= 0 {
		c.MaxRequestLifetime = 12 * time.Hour
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Minute
	}
	if c.MaxReplies <= 0 || c.MaxReplies > api.MaxReplies {
		c.MaxReplies = api.MaxReplies
	}
	if c.SubmissionsPage <= 0 || c.SubmissionsPage > api.MaxSubmissionsPage {
		c.SubmissionsPage = api.MaxSubmissionsPage
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

func (s *Server) today() store.Day { return store.DayOf(s.cfg.Now()) }
