// Command plot draws bench/run's figures as one SVG file with two panels,
// throughput (MB/s) and peak memory (MiB) against input size, from lines of
// "panel series size_mib value" on standard input (panel is "throughput" or
// "memory"). It draws lines and points only; no plotting library is needed.
//
//	plot -o docs/benchmarks.svg < points.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

type point struct{ x, y float64 }

// panel is one chart: its series in order of first appearance.
type panel struct {
	title, unit string
	names       []string
	series      map[string][]point
}

var colors = []string{"#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#444444"}

func main() {
	out := flag.String("o", "", "output SVG file")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: plot -o FILE.svg < points")
		os.Exit(2)
	}
	panels, err := read(os.Stdin)
	if err == nil {
		err = write(*out, panels)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

func read(r io.Reader) ([]*panel, error) {
	ps := []*panel{
		{title: "Throughput against input size", unit: "MB/s", series: map[string][]point{}},
		{title: "Peak memory (RSS) against input size", unit: "MiB", series: map[string][]point{}},
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			continue
		}
		x, err1 := strconv.ParseFloat(f[2], 64)
		y, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil {
			continue // a figure that was not measured ("-")
		}
		p := ps[0]
		if f[0] == "memory" {
			p = ps[1]
		}
		name := strings.ReplaceAll(f[1], "_", " ")
		if _, ok := p.series[name]; !ok {
			p.names = append(p.names, name)
		}
		p.series[name] = append(p.series[name], point{x, y})
	}
	return ps, sc.Err()
}

const (
	pw, ph            = 460.0, 300.0 // panel size
	left, top, bottom = 60.0, 40.0, 50.0
	legendH           = 18.0
)

func write(name string, ps []*panel) error {
	var b strings.Builder
	maxNames := 0
	for _, p := range ps {
		maxNames = max(maxNames, len(p.names))
	}
	h := top + ph + bottom + legendH*float64(maxNames) + 10
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", 2*(left+pw+20), h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	for i, p := range ps {
		drawPanel(&b, p, float64(i)*(left+pw+20)+left)
	}
	b.WriteString("</svg>\n")
	return os.WriteFile(name, []byte(b.String()), 0o644)
}

func drawPanel(b *strings.Builder, p *panel, x0 float64) {
	var xs []float64
	ymax := 0.0
	for _, s := range p.series {
		for _, pt := range s {
			if !slices.Contains(xs, pt.x) {
				xs = append(xs, pt.x)
			}
			ymax = max(ymax, pt.y)
		}
	}
	slices.Sort(xs)
	if len(xs) == 0 {
		return
	}
	ymax = niceCeil(ymax)
	lx0, lx1 := math.Log2(xs[0]), math.Log2(xs[len(xs)-1])
	px := func(x float64) float64 {
		if lx1 == lx0 {
			return x0 + pw/2
		}
		return x0 + 20 + (math.Log2(x)-lx0)/(lx1-lx0)*(pw-40)
	}
	py := func(y float64) float64 { return top + ph - y/ymax*ph }

	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" font-size="14" font-weight="bold">%s</text>`+"\n", x0, top-15, html.EscapeString(p.title))
	fmt.Fprintf(b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#888"/>`+"\n", x0, top, pw, ph)
	for i := 0; i <= 4; i++ {
		y := ymax * float64(i) / 4
		fmt.Fprintf(b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#ddd"/>`, x0, x0+pw, py(y), py(y))
		fmt.Fprintf(b, `<text x="%.0f" y="%.1f" text-anchor="end">%g</text>`+"\n", x0-5, py(y)+4, y)
	}
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" transform="rotate(-90 %.0f %.0f)" text-anchor="middle">%s</text>`+"\n",
		x0-45, top+ph/2, x0-45, top+ph/2, p.unit)
	for _, x := range xs {
		fmt.Fprintf(b, `<text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`+"\n", px(x), top+ph+16, sizeLabel(x))
	}
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" text-anchor="middle">input size</text>`+"\n", x0+pw/2, top+ph+34)
	for i, name := range p.names {
		c := colors[i%len(colors)]
		s := p.series[name]
		slices.SortFunc(s, func(a, b point) int { return int(a.x - b.x) })
		var pts []string
		for _, pt := range s {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(pt.x), py(pt.y)))
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, px(pt.x), py(pt.y), c)
		}
		dash := ""
		if strings.Contains(name, "stock") || strings.Contains(name, "tusd") || strings.Contains(name, "age") {
			dash = ` stroke-dasharray="5,3"`
		}
		fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), c, dash)
		ly := top + ph + bottom + legendH*float64(i)
		fmt.Fprintf(b, `<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="%s" stroke-width="2"%s/>`, x0, x0+24, ly, ly, c, dash)
		fmt.Fprintf(b, `<text x="%.0f" y="%.0f">%s</text>`+"\n", x0+30, ly+4, html.EscapeString(name))
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*e {
			return m * e
		}
	}
	return 10 * e
}

func sizeLabel(mib float64) string {
	if mib >= 1024 {
		return fmt.Sprintf("%g GiB", mib/1024)
	}
	return fmt.Sprintf("%g MiB", mib)
}
