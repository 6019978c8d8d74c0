package bundle_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"filippo.io/age"

	"refuge/crypto/bundle"
)

// Seal a file and a note to an officer, then open the bundle.
func Example() {
	officer, err := age.GenerateHybridIdentity()
	if err != nil {
		log.Fatal(err)
	}
	report := "testimony\n"
	contents := bundle.Contents{
		Files: []bundle.File{{
			Name: "evidence/report.txt",
			Size: int64(len(report)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(report)), nil },
		}},
		Note:         []byte("please call back"),
		SubmissionID: "00112233445566778899aabbccddeeff",
		Kind:         bundle.KindAnonymous,
	}
	var sealed bytes.Buffer
	if _, err := bundle.Seal(&sealed, []age.Recipient{officer.Recipient()}, contents); err != nil {
		log.Fatal(err)
	}

	outDir, err := os.MkdirTemp("", "inbox")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(outDir)
	res, err := bundle.Open(&sealed, []age.Identity{officer}, outDir, bundle.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.SubmissionID, res.Kind)
	for _, e := range res.Entries {
		fmt.Println(e.Name, e.Size)
	}
	fmt.Printf("note: %q\n", res.Note)
	// Output:
	// 00112233445566778899aabbccddeeff anonymous
	// files/evidence/report.txt 10
	// note.txt 16
	// note: "please call back"
}
