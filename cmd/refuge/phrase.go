package main

import (
	"errors"
	"fmt"

	"refuge/crypto/receipt"
)

// phraseError explains a receipt phrase that receipt.Parse refused, in words
// for someone who is not an expert and may be frightened. No message holds
// any word of the phrase.
func phraseError(err error) *cliError {
	var we *receipt.WordError
	var ne *receipt.NumberError
	var ce *receipt.CountError
	switch {
	case errors.As(err, &we):
		return unknownWord(we)
	case errors.As(err, &ne):
		return failf("the numbers before the words of your receipt phrase must run 1, 2, 3 … 12, one before each word; word %d's number is not %d", ne.Position, ne.Position).
			hint("a word may be missing or written twice; or type just the 12 words in order, without numbers")
	case errors.As(err, &ce):
		got := fmt.Sprintf("%d were given", ce.Found)
		if ce.Found == 1 {
			got = "1 was given"
		}
		return failf("a receipt phrase has 12 words; %s", got).
			hint("type all 12 words in order on one line, with spaces between them (numbers such as \"1.\" and commas are fine)")
	case errors.Is(err, receipt.ErrChecksum):
		return failf("this receipt phrase is not right: its words are all receipt words, but they do not fit together").
			hint("a word may be wrong, misspelt into another list word, or two words swapped: check it against where you wrote it down")
	case errors.Is(err, receipt.ErrTooLong):
		return failf("that is far longer than a receipt phrase").
			hint("type or pipe only the 12 words")
	}
	return failf("%v", err)
}

// unknownWord explains a word that is not a receipt word. It names the
// word's position only: the phrase is read without echo so that no one
// looking at the screen sees it, and the message must not show a word of
// it either, nor the list words near it.
func unknownWord(we *receipt.WordError) *cliError {
	return failf("word %d of your receipt phrase is not one of the receipt words", we.Position).
		hint("check word %d against where you wrote it down; receipt words are common English words, and their first four letters are enough", we.Position)
}
