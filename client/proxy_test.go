package client

import (
	"net/http"
	"net/url"
	"testing"
)

func TestBypass(t *testing.T) {
	tests := []struct {
		desc, noProxy, host, port string
		want                      bool
	}{
		{"empty", "", "example.org", "443", false},
		{"star", "*", "example.org", "443", true},
		{"exact", "example.org", "example.org", "443", true},
		{"suffix", "example.org", "a.example.org", "443", true},
		{"dot suffix", ".example.org", "a.example.org", "443", true},
		{"not a suffix", "ample.org", "example.org", "443", false},
		{"ip", "10.0.0.1", "10.0.0.1", "80", true},
		{"cidr", "10.0.0.0/8, 192.168.0.0/16", "10.2.3.4", "80", true},
		{"cidr miss", "10.0.0.0/8", "11.2.3.4", "80", false},
		{"port match", "example.org:8080", "example.org", "8080", true},
		{"port miss", "example.org:8080", "example.org", "443", false},
		{"ipv6", "[::1]", "::1", "80", true},
		{"case", "EXAMPLE.org", "example.ORG", "443", true},
		{"list", "foo.com,example.org", "example.org", "443", true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := bypass(tt.noProxy, tt.host, tt.port); got != tt.want {
				t.Errorf("bypass(%q, %q, %q) = %v, want %v", tt.noProxy, tt.host, tt.port, got, tt.want)
			}
		})
	}
}

func TestEnvProxy(t *testing.T) {
	tests := []struct {
		desc   string
		env    map[string]string
		target string
		want   string // "" = direct
		bad    bool
	}{
		{"none", nil, "https://example.org", "", false},
		{"https", map[string]string{"HTTPS_PROXY": "socks5h://127.0.0.1:9050"}, "https://example.org", "socks5h://127.0.0.1:9050", false},
		{"https var not for http", map[string]string{"HTTPS_PROXY": "http://p:1"}, "http://example.org", "", false},
		{"lower case", map[string]string{"https_proxy": "http://p:1"}, "https://example.org", "http://p:1", false},
		{"all proxy", map[string]string{"ALL_PROXY": "socks5://p:1080"}, "http://example.onion", "socks5://p:1080", false},
		{"specific wins", map[string]string{"ALL_PROXY": "socks5://a:1", "HTTP_PROXY": "http://b:2"}, "http://example.org", "http://b:2", false},
		{"no proxy", map[string]string{"ALL_PROXY": "socks5://a:1", "NO_PROXY": "example.org"}, "http://example.org", "", false},
		{"localhost is proxied unless listed", map[string]string{"ALL_PROXY": "socks5h://a:1"}, "http://127.0.0.1:8080", "socks5h://a:1", false},
		{"bad scheme fails closed", map[string]string{"ALL_PROXY": "ftp://a:1"}, "http://example.org", "", true},
		{"garbage fails closed", map[string]string{"HTTPS_PROXY": "::"}, "https://example.org", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			f, err := envProxy(func(k string) string { return tt.env[k] })
			if tt.bad {
				if err == nil {
					t.Fatal("envProxy accepted a bad proxy")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if f != nil {
				u, _ := url.Parse(tt.target)
				p, err := f(&http.Request{URL: u})
				if err != nil {
					t.Fatal(err)
				}
				if p != nil {
					got = p.String()
				}
			}
			if got != tt.want {
				t.Errorf("proxy for %s = %q, want %q", tt.target, got, tt.want)
			}
		})
	}
}

func TestProxyFuncExplicit(t *testing.T) {
	t.Setenv("ALL_PROXY", "socks5h://127.0.0.1:1")
	f, err := ProxyFunc("direct")
	if err != nil || f != nil {
		t.Fatalf("direct: got a proxy function (err %v)", err)
	}
	if _, err := ProxyFunc("tor"); err == nil {
		t.Fatal("a proxy without a scheme was accepted")
	}
	f, err = ProxyFunc("socks5h://127.0.0.1:9050")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://127.0.0.1:8080/v1/manifest")
	p, _ := f(&http.Request{URL: u})
	if p == nil || p.Scheme != "socks5h" {
		t.Fatalf("explicit proxy not used for a local server: %v", p)
	}
}
