// Package pdf renders the PDF pieces of exports and compliance packages on fpdf, with
// fonts embedded in the binary so that output does not depend on the host and the same
// input always gives the same bytes.
package pdf

import (
	_ "embed"

	"codeberg.org/go-pdf/fpdf"
)

// The DejaVu Sans fonts (fonts-dejavu-core 2.37), under the Bitstream Vera licence in
// fonts/LICENSE. They cover Latin, Greek, Cyrillic and symbols such as § € ✓; not CJK.
var (
	//go:embed fonts/DejaVuSans.ttf
	dejaVuSans []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	dejaVuSansBold []byte
)

// FontFamily is the family name AddFonts registers the embedded fonts under: pass it
// to fpdf's SetFont with style "" (regular) or "B" (bold).
const FontFamily = "DejaVuSans"

// AddFonts registers the embedded DejaVu Sans regular and bold fonts with f as UTF-8
// fonts under FontFamily, so text in any script the fonts cover prints as written
// (fpdf embeds the subset a document uses). Hand text through Clean first.
func AddFonts(f *fpdf.Fpdf) {
	f.AddUTF8FontFromBytes(FontFamily, "", dejaVuSans)
	f.AddUTF8FontFromBytes(FontFamily, "B", dejaVuSansBold)
}
