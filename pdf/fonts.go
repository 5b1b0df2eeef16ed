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

// fontFamily is the family name the embedded fonts are registered under.
const fontFamily = "DejaVuSans"

// addFonts registers the embedded regular and bold fonts with f.
func addFonts(f *fpdf.Fpdf) {
	f.AddUTF8FontFromBytes(fontFamily, "", dejaVuSans)
	f.AddUTF8FontFromBytes(fontFamily, "B", dejaVuSansBold)
}
