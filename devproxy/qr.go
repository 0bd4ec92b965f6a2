package devproxy

import (
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// QR codes for the phone case: the LAN URL in the start banner (terminal
// blocks) and on the status page (SVG drawn here, so the page needs no
// network). github.com/skip2/go-qrcode does the encoding: Reed-Solomon,
// masking and version choice are not worth a private copy.

// QRTerminal renders text as a QR code in half-block characters, two
// module rows per line, light on dark so it scans from a dark terminal.
func QRTerminal(text string) (string, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", err
	}
	return q.ToSmallString(true), nil
}

// qrSVG renders text as a QR code in SVG, one path for every dark module.
func qrSVG(text string) (string, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", err
	}
	bits := q.Bitmap() // includes the four-module quiet zone
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, len(bits), len(bits))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, len(bits), len(bits))
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String(), nil
}
