package config

import (
	"strconv"
	"strings"
)

// position is a 1-based line and column in a config file.
type position struct {
	Line, Col int
}

// keyPos records where a key and its value are: their start positions for
// messages, and byte spans for fix lines that edit the user's own line.
type keyPos struct {
	Key, Value position
	// keyOff..keyEnd is the key as written (a whole [header] for a table),
	// valOff..valEnd the value; valEnd is 0 for a header.
	keyOff, keyEnd, valOff, valEnd int
	header                         bool
}

// keyIndex maps a full key path to its position in the file.
//
// toml.MetaData exposes no key positions, so after BurntSushi/toml has
// accepted the file we scan it once more, with a small lexer that knows only
// enough TOML to find keys: table headers, dotted and quoted keys, strings
// (so that "#" or "=" inside them are not misread), arrays and inline tables.
type keyIndex map[string]keyPos

// keyPath joins key parts into an index key; NUL cannot appear in a TOML key
// that a user would type, so quoted keys with dots stay unambiguous.
func keyPath(parts ...string) string { return strings.Join(parts, "\x00") }

// lookup returns the position of the deepest known key along parts: a key
// that was never written (a default) points at its table header instead.
func (ix keyIndex) lookup(parts ...string) keyPos {
	for n := len(parts); n > 0; n-- {
		if p, ok := ix[keyPath(parts[:n]...)]; ok {
			return p
		}
	}
	return keyPos{Key: position{1, 1}, Value: position{1, 1}}
}

// indexKeys scans src, which must already be valid TOML.
func indexKeys(src string) keyIndex {
	sc := &keyScanner{src: src, line: 1, col: 1, ix: keyIndex{}}
	sc.scan()
	return sc.ix
}

type keyScanner struct {
	src       string
	off       int
	line, col int
	table     []string       // current [table] or [[array]] header
	arrays    map[string]int // [[array]] header counts, for process.0.name style paths
	ix        keyIndex
}

func (sc *keyScanner) pos() position { return position{sc.line, sc.col} }

func (sc *keyScanner) peek() byte {
	if sc.off >= len(sc.src) {
		return 0
	}
	return sc.src[sc.off]
}

func (sc *keyScanner) next() byte {
	c := sc.peek()
	if c == 0 {
		return 0
	}
	sc.off++
	if c == '\n' {
		sc.line++
		sc.col = 1
	} else if c < 0x80 || c >= 0xC0 { // count runes, not UTF-8 continuation bytes
		sc.col++
	}
	return c
}

func (sc *keyScanner) hasPrefix(s string) bool { return strings.HasPrefix(sc.src[sc.off:], s) }

// skipSpace skips blanks, and with newlines also line breaks and comments.
func (sc *keyScanner) skipSpace(newlines bool) {
	for {
		switch c := sc.peek(); {
		case c == ' ' || c == '\t' || c == '\r':
			sc.next()
		case c == '#':
			for sc.peek() != '\n' && sc.peek() != 0 {
				sc.next()
			}
		case c == '\n' && newlines:
			sc.next()
		default:
			return
		}
	}
}

func (sc *keyScanner) scan() {
	for {
		sc.skipSpace(true)
		switch sc.peek() {
		case 0:
			return
		case '[':
			sc.header()
		default:
			sc.keyValue(sc.table)
		}
		// Anything left on the line is a comment or garbage the parser already rejected.
		for sc.peek() != '\n' && sc.peek() != 0 {
			sc.next()
		}
	}
}

func (sc *keyScanner) header() {
	at, start := sc.pos(), sc.off
	sc.next()
	isArray := sc.peek() == '['
	if isArray {
		sc.next()
	}
	sc.skipSpace(false)
	parts, _ := sc.key()
	for range 2 { // the closing ] or ]]
		if sc.peek() == ']' {
			sc.next()
		}
	}
	if isArray {
		if sc.arrays == nil {
			sc.arrays = map[string]int{}
		}
		k := keyPath(parts...)
		n := sc.arrays[k]
		sc.arrays[k] = n + 1
		parts = append(parts, strconv.Itoa(n))
	}
	sc.table = parts
	sc.ix[keyPath(parts...)] = keyPos{Key: at, Value: at, keyOff: start, keyEnd: sc.off, header: true}
}

func (sc *keyScanner) keyValue(prefix []string) {
	at, start := sc.pos(), sc.off
	key, end := sc.key()
	parts := append(append([]string(nil), prefix...), key...)
	sc.skipSpace(false)
	if sc.peek() == '=' {
		sc.next()
	}
	sc.skipSpace(false)
	kp := keyPos{Key: at, Value: sc.pos(), keyOff: start, keyEnd: end, valOff: sc.off}
	sc.value(parts)
	kp.valEnd = sc.valueEnd()
	sc.ix[keyPath(parts...)] = kp
}

// valueEnd is where the value just skipped ends, without the blanks a bare
// value (a number, a boolean) is followed by before a comment.
func (sc *keyScanner) valueEnd() int {
	end := sc.off
	for end > 0 && (sc.src[end-1] == ' ' || sc.src[end-1] == '\t' || sc.src[end-1] == '\r') {
		end--
	}
	return end
}

// key reads a possibly dotted key made of bare and quoted parts, and
// returns where its last part ends.
func (sc *keyScanner) key() (parts []string, end int) {
	for {
		sc.skipSpace(false)
		switch c := sc.peek(); c {
		case '"', '\'':
			parts = append(parts, sc.str())
		default:
			start := sc.off
			for isBareKeyChar(sc.peek()) {
				sc.next()
			}
			parts = append(parts, sc.src[start:sc.off])
		}
		end = sc.off
		sc.skipSpace(false)
		if sc.peek() != '.' {
			return parts, end
		}
		sc.next()
	}
}

func isBareKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// str reads a basic or literal string, single- or multi-line, and returns
// its contents with basic escapes resolved well enough for key names.
func (sc *keyScanner) str() string {
	q := sc.next()
	multi := sc.hasPrefix(string([]byte{q, q}))
	if multi {
		sc.next()
		sc.next()
	}
	var b strings.Builder
	for {
		c := sc.peek()
		if c == 0 {
			return b.String()
		}
		if c == q && (!multi || sc.hasPrefix(strings.Repeat(string(q), 3))) {
			sc.next()
			if multi {
				sc.next()
				sc.next()
				for sc.peek() == q { // up to two quotes may end a multi-line string
					sc.next()
				}
			}
			return b.String()
		}
		sc.next()
		if c == '\\' && q == '"' {
			e := sc.next()
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e)
			}
			continue
		}
		b.WriteByte(c)
	}
}

// value skips one value, indexing the keys of inline tables.
func (sc *keyScanner) value(parts []string) {
	switch c := sc.peek(); c {
	case '"', '\'':
		sc.str()
	case '[':
		sc.next()
		for i := 0; ; i++ {
			sc.skipSpace(true)
			if sc.peek() == ']' || sc.peek() == 0 {
				sc.next()
				return
			}
			at, start := sc.pos(), sc.off
			elem := append(append([]string(nil), parts...), strconv.Itoa(i))
			sc.value(elem)
			sc.ix[keyPath(elem...)] = keyPos{Key: at, Value: at, valOff: start, valEnd: sc.valueEnd()}
			sc.skipSpace(true)
			if sc.peek() == ',' {
				sc.next()
			}
		}
	case '{':
		sc.next()
		for {
			sc.skipSpace(true)
			if sc.peek() == '}' || sc.peek() == 0 {
				sc.next()
				return
			}
			sc.keyValue(parts)
			sc.skipSpace(true)
			if sc.peek() == ',' {
				sc.next()
			}
		}
	default:
		for {
			c := sc.peek()
			if c == 0 || c == '\n' || c == ',' || c == ']' || c == '}' || c == '#' {
				return
			}
			sc.next()
		}
	}
}
