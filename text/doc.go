// Package text is the project's byte-level BPE text tokenizer.
//
// Vocabulary layout (ids):
//
//	0 … 255              the 256 single bytes (always present: any byte string encodes)
//	256 … 256+S−1        the S special tokens, in the order given to Train
//	256+S … VocabSize−1  merged tokens, in the order they were learned
//
// Text is first cut at special tokens (matched literally, longest first at
// each position), then pre-split into pieces GPT-2 style (simplified): a run
// of letters (ASCII letters and all bytes ≥ 0x80, so UTF-8 sequences stay
// together), digits or other symbols, each optionally preceded by the single
// space before it; other whitespace forms pieces of its own. Pieces are at
// most 64 bytes (longer runs are cut, at a UTF-8 boundary where possible).
// Merges never cross pieces, so a token is at most 64 bytes.
//
// Train learns merges by pair frequency over the pieces of a corpus, with
// ties broken by the smaller (left id, right id) pair, so training is
// deterministic and independent of corpus order. Encode applies the merges
// to each piece lowest rank first, which reproduces the training
// segmentation; piece encodings are cached. Decode(Encode(s)) == s for every
// string s, valid UTF-8 or not.
//
// MarshalBinary/UnmarshalBinary store the special tokens and the merge list in
// a small validated binary format; a malformed blob gives an error, never a
// panic or an allocation larger than a small multiple of its length.
package text
