package uploaders

import (
	"slices"
	"strings"
	"testing"
)

const (
	id1 = "0123456789abcdef0123456789abcdef"
	id2 = "00112233445566778899aabbccddeeff"
)

func TestRoundTrip(t *testing.T) {
	in := []Entry{
		{ID: id1, Kind: Anonymous},
		{ID: id2, Kind: Relay, Partner: "Front Line Office"},
		{ID: strings.Repeat("f", 32), Kind: Referral, Partner: "Défenseurs — Kyiv ✓"},
	}
	data, err := Format(in)
	if err != nil {
		t.Fatal(err)
	}
	want := header + id2 + ".age relay Front Line Office\n" + id1 + ".age anonymous\n" + strings.Repeat("f", 32) + ".age referral Défenseurs — Kyiv ✓\n"
	if string(data) != want {
		t.Fatalf("Format:\n%s\nwant:\n%s", data, want)
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("%d entries back, want %d", len(got), len(in))
	}
	for _, e := range in {
		if got[e.ID] != e {
			t.Fatalf("%+v came back as %+v", e, got[e.ID])
		}
	}
	if got, err := Parse([]byte(header)); err != nil || len(got) != 0 {
		t.Fatalf("an empty list: %v, %v", got, err)
	}
}

func TestFormatRefuses(t *testing.T) {
	for name, e := range map[string]Entry{
		"short id":              {ID: "0123", Kind: Anonymous},
		"upper-case id":         {ID: strings.ToUpper(id1), Kind: Anonymous},
		"id with a path":        {ID: "../../../../etc/passwd" + strings.Repeat("a", 10), Kind: Anonymous},
		"unknown kind":          {ID: id1, Kind: "reply"},
		"anonymous named":       {ID: id1, Kind: Anonymous, Partner: "x"},
		"relay without name":    {ID: id1, Kind: Relay},
		"newline in name":       {ID: id1, Kind: Relay, Partner: "a\n" + id2 + ".age relay b"},
		"escape in name":        {ID: id1, Kind: Relay, Partner: "a\x1b]52;c;aGk=\a"},
		"bidi override":         {ID: id1, Kind: Relay, Partner: "abc\u202egpj.exe"},
		"long name":             {ID: id1, Kind: Referral, Partner: strings.Repeat("n", 65)},
		"leading space":         {ID: id1, Kind: Referral, Partner: " fld"},
		"invalid UTF-8 in name": {ID: id1, Kind: Referral, Partner: "fld\xff"},
	} {
		if _, err := Format([]Entry{e}); err == nil {
			t.Errorf("%s: written", name)
		}
	}
	if _, err := Format([]Entry{{ID: id1, Kind: Anonymous}, {ID: id1, Kind: Relay, Partner: "x"}}); err == nil {
		t.Error("an id twice was written")
	}
}

// TestParseHostile: the file comes from the networked side on a courier's
// stick. Every line that Format would not write is refused, and the whole
// file with it.
func TestParseHostile(t *testing.T) {
	line := id1 + ".age relay fld\n"
	for name, data := range map[string]string{
		"no header":             line,
		"another header":        "# something else\n" + line,
		"header only, no end":   strings.TrimSuffix(header, "\n"),
		"last line unended":     header + strings.TrimSuffix(line, "\n"),
		"blank line":            header + "\n" + line,
		"CRLF":                  header + strings.TrimSuffix(line, "\n") + "\r\n",
		"two spaces":            header + id1 + ".age  relay fld\n",
		"tab":                   header + id1 + ".age\trelay fld\n",
		"no .age":               header + id1 + " relay fld\n",
		"path as name":          header + "../" + id1 + ".age relay fld\n",
		"upper-case id":         header + strings.ToUpper(id1) + ".age relay fld\n",
		"unknown kind":          header + id1 + ".age courier fld\n",
		"anonymous with name":   header + id1 + ".age anonymous fld\n",
		"relay without name":    header + id1 + ".age relay\n",
		"relay with empty name": header + id1 + ".age relay \n",
		"trailing space":        header + id1 + ".age relay fld \n",
		"escape sequence":       header + id1 + ".age relay \x1b[2J\n",
		"bidi override":         header + id1 + ".age relay a\u202eb\n",
		"NUL":                   header + id1 + ".age relay f\x00d\n",
		"invalid UTF-8":         header + id1 + ".age relay f\xffd\n",
		"name too long":         header + id1 + ".age relay " + strings.Repeat("n", 65) + "\n",
		"listed twice":          header + line + line,
		"too large":             header + strings.Repeat(line, MaxSize/len(line)+1),
	} {
		if got, err := Parse([]byte(data)); err == nil {
			t.Errorf("%s: parsed as %v", name, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	good, _ := Format([]Entry{{ID: id1, Kind: Anonymous}, {ID: id2, Kind: Relay, Partner: "Front Line Office"}})
	f.Add(good)
	f.Add([]byte(header))
	f.Add([]byte(header + id1 + ".age referral a b c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Parse(data)
		if err != nil {
			return
		}
		// What parses is exactly what Format writes for it, but for
		// the order of the lines: Format sorts them by id, and a
		// list in another order (written by hand, or by a courier
		// of another version) reads the same, one way.
		var entries []Entry
		for id, e := range got {
			if e.ID != id || e.Valid() != nil {
				t.Fatalf("parsed an invalid entry %+v", e)
			}
			entries = append(entries, e)
		}
		again, err := Format(entries)
		lines := strings.SplitAfter(strings.TrimPrefix(string(data), header), "\n")
		slices.Sort(lines)
		if err != nil || string(again) != header+strings.Join(lines, "") {
			t.Fatalf("Parse accepted %q, which Format writes as %q (%v)", data, again, err)
		}
	})
}
