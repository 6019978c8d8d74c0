// Command gosec runs gosec's rules and analyzers (github.com/securego/gosec,
// at the version go.mod pins) the way .ci/gates used to run the stock
// command:
//
//	gosec -quiet -exclude-generated -exclude-dir=DIR -exclude=RULE,... ./...
//
// It prints each finding that no #nosec comment suppresses and each package
// it could not load, and exits 1 if there is any. The stock command also
// links gosec's AI autofix clients (about 600 packages in all, three minutes
// to compile on an empty build cache); this one links the analysis alone
// (254 packages, the standard library's included).
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/securego/gosec/v2"
	"github.com/securego/gosec/v2/analyzers"
	"github.com/securego/gosec/v2/rules"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var excludeDirs list
	exclude := flag.String("exclude", "", "comma-separated IDs of the rules not to run")
	flag.Var(&excludeDirs, "exclude-dir", "a folder not to scan (repeatable)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: gosec [-exclude G104,...] [-exclude-dir DIR] PACKAGES (./... for all)")
		os.Exit(2)
	}
	var ids []string
	if *exclude != "" {
		ids = strings.Split(*exclude, ",")
	}

	config := gosec.NewConfig()
	config.SetGlobal(gosec.ExcludeRules, *exclude)
	analyzer := gosec.NewAnalyzer(config, false, true, false, runtime.GOMAXPROCS(0), log.New(io.Discard, "", 0))
	analyzer.LoadRules(rules.Generate(false, rules.NewRuleFilter(true, ids...)).RulesInfo())
	analyzer.LoadAnalyzers(analyzers.Generate(false, analyzers.NewAnalyzerFilter(true, ids...)).AnalyzersInfo())

	excluded := gosec.ExcludedDirsRegExp(append(list{"vendor", `\.git/`}, excludeDirs...))
	var packages []string
	for _, arg := range flag.Args() {
		paths, err := gosec.PackagePaths(arg, excluded)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gosec: %s: %v\n", arg, err)
			os.Exit(1)
		}
		packages = append(packages, paths...)
	}
	if len(packages) == 0 {
		fmt.Fprintln(os.Stderr, "gosec: no packages found")
		os.Exit(1)
	}
	if err := analyzer.Process(nil, packages...); err != nil {
		fmt.Fprintf(os.Stderr, "gosec: %v\n", err)
		os.Exit(1)
	}

	issues, metrics, errs := analyzer.Report()
	found := 0
	for _, is := range issues {
		if is.NoSec || len(is.Suppressions) > 0 {
			continue
		}
		found++
		fmt.Printf("%s:%s:%s: %s (severity %s, confidence %s): %s\n%s\n", is.File, is.Line, is.Col, is.RuleID, is.Severity, is.Confidence, is.What, is.Code)
	}
	files := make([]string, 0, len(errs))
	for f := range errs {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		for _, e := range errs[f] {
			fmt.Printf("%s:%d:%d: cannot analyse: %s\n", f, e.Line, e.Column, e.Err)
		}
	}
	fmt.Fprintf(os.Stderr, "gosec: %d files, %d lines, %d findings, %d suppressed by #nosec\n", metrics.NumFiles, metrics.NumLines, found, metrics.NumNosec)
	if found > 0 || len(errs) > 0 {
		os.Exit(1)
	}
}
