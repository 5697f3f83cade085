package model

import "fmt"

// TextCodec turns text into token ids and back (the BPE tokenizer).
type TextCodec interface {
	Encode(s string) []int
	Decode(ids []int) string
	VocabSize() int
}

// Special is a special token of the model vocabulary.
type Special int

// The special tokens. Their ids follow the text ids and the image codes.
const (
	BOS    Special = iota // start of sequence
	EOS                   // end of a text target / of a pair
	BOI                   // begin image
	EOI                   // end image
	EOL                   // end of a row of image codes
	Inst                  // instruction follows
	In                    // the input follows
	Out                   // the output (target) follows
	Txt                   // a text target follows
	Size2                 // image code grid of side 2
	Size4                 // … side 4
	Size8                 // … side 8
	Size16                // … side 16
	Size32                // … side 32
	Pad                   // padding
	Sep                   // separates in-context examples
	numSpecials
)

var specialNames = [...]string{"<bos>", "<eos>", "<boi>", "<eoi>", "<eol>", "<inst>", "<in>", "<out>", "<txt>",
	"<size2>", "<size4>", "<size8>", "<size16>", "<size32>", "<pad>", "<sep>"}

// NumSpecials is the number of special tokens.
const NumSpecials = int(numSpecials)

// UnknownText is the text id an instruction token becomes when word
// dropout takes it (Builder.DropWord): byte 0x00, which no instruction
// holds.
const UnknownText int32 = 0

// Vocab is the unified vocabulary: text ids [0, TextSize), image codes
// [TextSize, TextSize+Codes), then the special tokens.
type Vocab struct {
	TextSize int
	Codes    int
}

// Size returns the number of token ids.
func (v Vocab) Size() int { return v.TextSize + v.Codes + NumSpecials }

// Code returns the token id of image code c.
func (v Vocab) Code(c int32) int32 {
	if c < 0 || int(c) >= v.Codes {
		panic(fmt.Sprintf("model.Vocab.Code: code %d outside [0,%d)", c, v.Codes))
	}
	return int32(v.TextSize) + c
}

// IsCode reports whether id is an image code.
func (v Vocab) IsCode(id int32) bool { return int(id) >= v.TextSize && int(id) < v.TextSize+v.Codes }

// CodeOf returns the image code of token id (which must be a code).
func (v Vocab) CodeOf(id int32) int32 { return id - int32(v.TextSize) }

// IsText reports whether id is a text token.
func (v Vocab) IsText(id int32) bool { return id >= 0 && int(id) < v.TextSize }

// Tok returns the token id of a special token.
func (v Vocab) Tok(s Special) int32 { return int32(v.TextSize + v.Codes + int(s)) }

// SizeToken returns the special token announcing a code grid of the given side.
func (v Vocab) SizeToken(side int) (int32, error) {
	switch side {
	case 2:
		return v.Tok(Size2), nil
	case 4:
		return v.Tok(Size4), nil
	case 8:
		return v.Tok(Size8), nil
	case 16:
		return v.Tok(Size16), nil
	case 32:
		return v.Tok(Size32), nil
	}
	return 0, fmt.Errorf("model: no size token for a code grid of side %d", side)
}

// Name returns a printable name for a token id.
func (v Vocab) Name(id int32) string {
	switch {
	case v.IsText(id):
		return fmt.Sprintf("t%d", id)
	case v.IsCode(id):
		return fmt.Sprintf("c%d", v.CodeOf(id))
	case int(id) < v.Size() && id >= 0:
		return specialNames[int(id)-v.TextSize-v.Codes]
	}
	return fmt.Sprintf("?%d", id)
}
