package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"refuge/crypto/signing"
	"refuge/internal/cli"
	"refuge/server"
	"refuge/server/store"
)

type serveFlags struct {
	data, rootPub, tlsCert, tlsKey string
	listen                         []string // each --listen, in order
	maxUpload, minFree             int64
	maxConns                       int
	rate                           float64
	dev, keep                      bool
}

func serveCmd(args []string, stdout, stderr io.Writer) int {
	var f serveFlags
	fs := newFlags("refuge-server", usage, stdout)
	fs.StringVar(&f.data, "data", "", "data directory")
	fs.Func("listen", "listen address (repeatable)", func(a string) error {
		f.listen = append(f.listen, a)
		return nil
	})
	fs.StringVar(&f.rootPub, "root-pub", "", "manifest root public key")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file")
	fs.StringVar(&f.tlsKey, "tls-key", "", "TLS key file")
	fs.Int64Var(&f.maxUpload, "max-upload", 64<<30, "largest upload in bytes")
	fs.Int64Var(&f.minFree, "min-free", 128<<20, "disk space uploads never take, in bytes")
	fs.IntVar(&f.maxConns, "max-connections", server.DefaultMaxConnections, "connections open at once")
	fs.BoolVar(&f.dev, "dev", false, "throwaway demo setup")
	fs.BoolVar(&f.keep, "keep", false, "with --dev: leave the dev directory when stopped")
	fs.Float64Var(&f.rate, "rate-limit", 200, "requests per second, all clients together")
	pos, err := cli.Parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK // help asked for anywhere, shown
	}
	if sub := subcommandLater(fs, args); sub != "" {
		// "refuge-server --data D token add …": the subcommand's flags
		// are not the server's, and the word itself is no argument.
		return fail(stderr, cli.Errorf(exitUsage, "%q is a subcommand, and comes before any flag", sub).
			Hint("write the subcommand first, then its flags: refuge-server %s … --data DIR", sub))
	}
	if err != nil {
		return flagFail(stderr, err)
	}
	if len(pos) > 0 {
		return usageFail(stderr, "refuge-server", pos[0], subcommands.Names(), "unexpected argument %q", pos[0])
	}
	if f.maxConns < 1 {
		return fail(stderr, cli.Errorf(exitUsage, "--max-connections must be at least 1").Hint("for example --max-connections 4096"))
	}
	if f.maxUpload < 1 || f.minFree < 1 {
		return fail(stderr, cli.Errorf(exitUsage, "--max-upload and --min-free must be at least 1 byte").
			Hint("give both in bytes, e.g. --max-upload 68719476736 --min-free 134217728"))
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return fail(stderr, cli.Errorf(exitUsage, "--tls-cert and --tls-key go together"))
	}
	log := newLogger(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.keep && !f.dev {
		return fail(stderr, cli.Errorf(exitUsage, "--keep goes with --dev"))
	}
	if f.dev && (f.data != "" || f.rootPub != "") {
		return fail(stderr, cli.Errorf(exitUsage, "--dev makes its own directory and keys: --data and --root-pub are for a real server").
			Hint("refuge-server --dev --keep leaves the dev directory in place when stopped"))
	}
	if f.dev {
		return devCmd(ctx, f, stdout, stderr, log)
	}
	if f.data == "" || f.rootPub == "" {
		return fail(stderr, cli.Errorf(exitUsage, "--data and --root-pub are required").Hint("a quick demo: refuge-server --dev"))
	}
	root, err := signing.ParsePublicKey(strings.TrimSpace(f.rootPub))
	if err != nil {
		return fail(stderr, cli.BadRootPub("refuge-server"))
	}
	if len(f.listen) == 0 {
		f.listen = []string{server.DefaultListen}
	}
	var cert *server.Certificate
	if f.tlsCert != "" {
		if cert, err = server.LoadCertificate(f.tlsCert, f.tlsKey, server.CertificateCheckEvery, log); err != nil {
			return fail(stderr, cli.Errorf(exitError, "cannot load the TLS certificate: %v", err).
				Hint("--tls-cert is the certificate chain (certbot's fullchain.pem) and --tls-key its private key (privkey.pem), both PEM, readable by this user"))
		}
	}
	st, err := store.Open(f.data, store.Options{})
	if err != nil {
		if e := dbRefused(f.data, err, false); e != nil {
			return fail(stderr, e)
		}
		return fail(stderr, cli.Errorf(exitError, "%v", err))
	}
	defer st.Close()
	var ls []net.Listener
	for _, addr := range f.listen {
		l, err := server.Listen(addr)
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			return listenFailed(stderr, addr, err)
		}
		ls = append(ls, l)
	}
	if err := serve(ctx, st, root, ls, f, cert, log, func(string) {}); err != nil {
		return fail(stderr, cli.Errorf(exitError, "%v", err))
	}
	return exitOK
}

// listenFailed reports a failed listen on addr and returns exitError. An
// address in use is the usual case (a second server, or a second --dev,
// on the default address), so it says so and how to go on.
func listenFailed(stderr io.Writer, addr string, err error) int {
	if !addrInUse(err) {
		return fail(stderr, cli.Errorf(exitError, "%v", err))
	}
	return fail(stderr, cli.Errorf(exitError, "cannot listen on %s: another server (perhaps another refuge-server --dev) is already listening there", addr).
		Hint("pick another address with --listen, for example --listen 127.0.0.1:8444 (or 127.0.0.1:0 for any free port)").
		Hint("or stop the other server first"))
}

// serve runs the server on the listeners ls until ctx is done, and closes
// them: over TLS with cert on TCP, unless it is nil (see server.Serve).
// ready is called with the first one's address once it serves.
func serve(ctx context.Context, st store.Store, root signing.PublicKey, ls []net.Listener, f serveFlags, cert *server.Certificate, log *slog.Logger, ready func(addr string)) error {
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	srv, err := server.New(server.Config{
		Store: st, RootKey: root, Log: log, TLS: cert != nil, MaxUploadSize: f.maxUpload, MinFreeBytes: f.minFree,
		RequestsPerSecond: f.rate, RequestBurst: int(2 * f.rate),
	})
	if err != nil {
		return err
	}
	var tlsConf *tls.Config
	if cert != nil {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cert.GetCertificate}
		log.Info("serving TLS", "certificate_valid_until", cert.NotAfter().UTC().Format(time.DateOnly))
	}
	hs := server.HTTPServer(srv, tlsConf)
	limit := server.NewConnLimit(f.maxConns)
	served := make([]net.Listener, len(ls))
	for i, l := range ls {
		served[i] = limit.Listener(l)
	}
	n := &noticer{log: log}
	n.check(ctx, st, cert, time.Now())
	var addrs []string
	for _, l := range ls {
		addr := "unix:" + l.Addr().String()
		if l.Addr().Network() != "unix" {
			addr = "http://" + l.Addr().String()
			if cert != nil {
				addr = "https://" + l.Addr().String()
			}
		}
		addrs = append(addrs, addr)
	}
	if err := listenAdmin(ctx, f.data, st, root, log); err != nil {
		log.Warn("token and publish commands will need the server stopped", "err", err)
	}
	// Said once the admin socket is up too: a script that waits for these
	// lines may run the token and publish commands at once.
	for _, addr := range addrs {
		log.Info("refuge-server listening", "addr", addr)
	}
	ready(addrs[0])
	go expireLoop(ctx, st, cert, log, n)
	err = server.Serve(ctx, hs, 30*time.Second, served...)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	log.Info("refuge-server stopped")
	return err
}

// expireLoop collects expired partial uploads at start and every hour,
// and every hour logs what n finds the operator must know (the key
// manifest's and the TLS certificate's expiry; n has checked at start).
func expireLoop(ctx context.Context, st store.Store, cert *server.Certificate, log *slog.Logger, n *noticer) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if _, err := st.ExpireUploads(ctx, store.DayOf(time.Now())); err != nil && ctx.Err() == nil {
			log.Error("expiring uploads failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.check(ctx, st, cert, time.Now())
		}
	}
}

func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, errors.Unwrap(err))
	}
	return b, nil
}

// newLogger writes operator messages without timestamps: the server keeps no
// time finer than a day anywhere, its log included (run it under a
// supervisor that adds times only if you accept that leak).
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// subcommandLater returns the name of a subcommand ("token", "publish")
// when args, which do not begin with it, hold it where an argument stands,
// not as the value of one of fs's flags ("--data token" is a folder): a
// subcommand written after the flags it takes.
func subcommandLater(fs *flag.FlagSet, args []string) string {
	for _, w := range cli.Words(fs, args) {
		if _, ok := subcommands.Lookup(w); ok {
			return w
		}
	}
	return ""
}
