package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"refuge/crypto/receipt"
	"refuge/internal/cli"
)

// maxPipedPhrase bounds what is read from standard input for a phrase: 12
// words with numbers, commas and line breaks take a few hundred bytes.
const maxPipedPhrase = 4096

// readPipedPhrase reads the receipt phrase from standard input that is not
// a terminal: all of it, so that a phrase written one word per line (as
// copied from a numbered list) is read whole, but never more than
// maxPipedPhrase bytes, and never binary data. A UTF-8 byte-order mark
// (some editors write one) is dropped. The caller clears what it returns;
// no message quotes it.
func readPipedPhrase(r io.Reader) ([]byte, error) {
	buf := make([]byte, maxPipedPhrase+1)
	n, err := io.ReadFull(r, buf)
	switch {
	case n > maxPipedPhrase:
		clear(buf)
		return nil, failf("standard input holds more than %d bytes: a receipt phrase is 12 words", maxPipedPhrase).
			Hint("pipe only the phrase, on one line or one word per line: refuge status < phrase.txt")
	case err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
		clear(buf)
		return nil, failf("cannot read the phrase from standard input: %v", err)
	case bytes.IndexByte(buf[:n], 0) >= 0:
		clear(buf)
		return nil, failf("standard input holds binary data (NUL bytes), not a receipt phrase").
			Hint("pipe a text file holding only the 12 words; a file saved as UTF-16 (\"Unicode\" in some editors) must be saved again as UTF-8 or plain text")
	}
	return bytes.TrimPrefix(buf[:n], []byte("\xef\xbb\xbf")), nil
}

// phraseError explains a receipt phrase that receipt.Parse refused, in words
// for someone who is not an expert and may be frightened; piped says it was
// read from standard input, not typed at the terminal. No message holds any
// word of the phrase.
func phraseError(err error, piped bool) *cli.Error {
	var we *receipt.WordError
	var ne *receipt.NumberError
	var ce *receipt.CountError
	switch {
	case errors.As(err, &we):
		return unknownWord(we)
	case errors.As(err, &ne):
		return failf("the numbers before the words of your receipt phrase must run 1, 2, 3 … 12, one before each word; word %d's number is not %d", ne.Position, ne.Position).
			Hint("a word may be missing or written twice; or type just the 12 words in order, without numbers")
	case errors.As(err, &ce):
		got := fmt.Sprintf("%d were given", ce.Found)
		if ce.Found == 1 {
			got = "1 was given"
		}
		if piped {
			return failf("a receipt phrase has 12 words; %s", got).
				Hint("give all 12 words in order, on one line or one per line (numbers such as \"1.\" and commas are fine): everything on standard input is read as the phrase")
		}
		return failf("a receipt phrase has 12 words; %s", got).
			Hint("type all 12 words in order on one line, with spaces between them (numbers such as \"1.\" and commas are fine)")
	case errors.Is(err, receipt.ErrChecksum):
		return failf("this receipt phrase is not right: its words are all receipt words, but they do not fit together").
			Hint("a word may be wrong, misspelt into another list word, or two words swapped: check it against where you wrote it down")
	case errors.Is(err, receipt.ErrTooLong):
		return failf("that is far longer than a receipt phrase").
			Hint("type or pipe only the 12 words")
	}
	return failf("%v", err)
}

// unknownWord explains a word that is not a receipt word. It names the
// word's position only: the phrase is read without echo so that no one
// looking at the screen sees it, and the message must not show a word of
// it either, nor the list words near it.
func unknownWord(we *receipt.WordError) *cli.Error {
	return failf("word %d of your receipt phrase is not one of the receipt words", we.Position).
		Hint("check word %d against where you wrote it down; receipt words are common English words, and their first four letters are enough", we.Position)
}
