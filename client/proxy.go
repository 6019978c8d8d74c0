package client

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// ProxyFunc returns the proxy selection for a Client.
//
// An explicit proxy URL (the --proxy flag) is used for every request;
// "direct" disables proxies, even those of the environment. With no
// explicit proxy the environment decides, as curl does: HTTPS_PROXY for
// https:// servers, HTTP_PROXY for http:// servers, else ALL_PROXY (each
// also in lower case), unless NO_PROXY matches the server's host.
//
// Schemes: socks5h:// and socks5:// (Go's client always sends the host
// name to a SOCKS5 proxy and never resolves it locally, so both behave as
// socks5h: through Tor, DNS never leaks), http:// and https://.
// A proxy setting that cannot be parsed is an error, never a silent
// direct connection.
func ProxyFunc(explicit string) (func(*http.Request) (*url.URL, error), error) {
	switch explicit {
	case "direct":
		return nil, nil
	case "":
		return envProxy(os.Getenv)
	}
	u, err := parseProxy(explicit)
	if err != nil {
		return nil, err
	}
	return http.ProxyURL(u), nil
}

func parseProxy(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, errors.New("proxy must be a URL such as socks5h://127.0.0.1:9050")
	}
	switch u.Scheme {
	case "socks5", "socks5h", "http", "https":
		return u, nil
	}
	return nil, errors.New("proxy scheme must be socks5h, socks5, http or https")
}

// envProxy reads the proxy variables through getenv once, so a request
// sees the environment as it was when the client was made.
func envProxy(getenv func(string) string) (func(*http.Request) (*url.URL, error), error) {
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return getenv(strings.ToLower(name))
	}
	proxies := map[string]*url.URL{}
	all := get("ALL_PROXY")
	for scheme, v := range map[string]string{"https": get("HTTPS_PROXY"), "http": get("HTTP_PROXY")} {
		if v == "" {
			v = all
		}
		if v == "" {
			continue
		}
		u, err := parseProxy(v)
		if err != nil {
			return nil, errors.New(strings.ToUpper(scheme) + "_PROXY or ALL_PROXY: " + err.Error())
		}
		proxies[scheme] = u
	}
	if len(proxies) == 0 {
		return nil, nil
	}
	noProxy := get("NO_PROXY")
	return func(req *http.Request) (*url.URL, error) {
		if bypass(noProxy, req.URL.Hostname(), req.URL.Port()) {
			return nil, nil
		}
		return proxies[req.URL.Scheme], nil
	}, nil
}

// bypass reports whether NO_PROXY lists host: "*", an exact host, a
// domain suffix ("example.org" or ".example.org" match a.example.org), an
// IP address or a CIDR range, each optionally with ":port".
func bypass(noProxy, host, port string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	ip := net.ParseIP(host)
	for _, e := range strings.FieldsFunc(noProxy, func(r rune) bool { return r == ',' || r == ' ' }) {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "*" {
			return true
		}
		if _, n, err := net.ParseCIDR(e); err == nil {
			if ip != nil && n.Contains(ip) {
				return true
			}
			continue
		}
		if h, p, err := net.SplitHostPort(e); err == nil {
			if p != port {
				continue
			}
			e = h
		}
		e = strings.Trim(e, "[]")
		if eip := net.ParseIP(e); eip != nil {
			if ip != nil && eip.Equal(ip) {
				return true
			}
			continue
		}
		e = strings.TrimPrefix(e, ".")
		if e != "" && (host == e || strings.HasSuffix(host, "."+e)) {
			return true
		}
	}
	return false
}
