package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// archiveFile is one file of an archive.
type archiveFile struct {
	name string // path inside the archive
	src  string // file to copy in
	mode os.FileMode
}

// writeArchive writes files into path, a .zip or a .tar.gz by its name,
// every entry with time mtime, owned by root, in the order given.
func writeArchive(path string, files []archiveFile, mtime time.Time) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriter(f)
	if strings.HasSuffix(path, ".zip") {
		err = writeZip(w, files, mtime)
	} else {
		err = writeTarGz(w, files, mtime)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return w.Flush()
}

func writeTarGz(w io.Writer, files []archiveFile, mtime time.Time) error {
	// No name or time in the gzip header: the bytes depend on the content only.
	gz, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	for _, af := range files {
		data, err := os.ReadFile(af.src)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: af.name, Mode: int64(af.mode.Perm()), Size: int64(len(data)),
			ModTime: mtime, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, files []archiveFile, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, af := range files {
		data, err := os.ReadFile(af.src)
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: af.name, Method: zip.Deflate, Modified: mtime}
		hdr.SetMode(af.mode)
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := fw.Write(data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// writeChecksums writes dir/SHA256SUMS for the named files in dir, sorted,
// in the format `sha256sum -c` reads: the hex digest, two spaces, the name.
func writeChecksums(dir string, names []string) error {
	names = slices.Sorted(slices.Values(names))
	var b strings.Builder
	for _, name := range names {
		sum, err := fileSHA256(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%x  %s\n", sum, name)
	}
	return os.WriteFile(filepath.Join(dir, checksumsFile), []byte(b.String()), 0o644)
}

// checksumsFile is the name of the checksum list.
const checksumsFile = "SHA256SUMS"

func fileSHA256(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
