package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// verify checks a release folder as a user downloading it would: every
// archive has its right line in SHA256SUMS and nothing else is listed;
// each holds exactly the binary, README.md and LICENSE; the binary's
// header (ELF, Mach-O or PE: format, machine, OS) is the target's, it
// carries the version, and it is the very file in the target's npm package.
func verify(dir, version string, ts []target) error {
	var errs []error
	want := make([]string, len(ts))
	for i, t := range ts {
		want[i] = archiveName(version, t)
	}
	listed, err := checkSums(dir)
	if err != nil {
		return err
	}
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		errs = append(errs, fmt.Errorf("%s lists %q, want %q", checksumsFile, listed, want))
	}
	for _, t := range ts {
		if err := verifyArchive(dir, version, t); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", archiveName(version, t), err))
		}
	}
	return errors.Join(errs...)
}

// checkSums checks each line of dir/SHA256SUMS against its file and
// returns the names listed.
func checkSums(dir string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(dir, checksumsFile))
	if err != nil {
		return nil, err
	}
	var names []string
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 2*sha256.Size || name == "" || strings.ContainsAny(name, `/\`) {
			errs = append(errs, fmt.Errorf("%s: line %q is not a hex sha256, two spaces and a file name", checksumsFile, sc.Text()))
			continue
		}
		got, err := fileSHA256(filepath.Join(dir, name))
		if err != nil {
			errs = append(errs, err)
		} else if hex.EncodeToString(got) != sum {
			errs = append(errs, fmt.Errorf("%s: sha256 is %x, %s says %s", name, got, checksumsFile, sum))
		}
		names = append(names, name)
	}
	return names, errors.Join(errs...)
}

func verifyArchive(dir, version string, t target) error {
	files, err := readArchive(filepath.Join(dir, archiveName(version, t)))
	if err != nil {
		return err
	}
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := slices.Sorted(slices.Values([]string{t.exe(), "README.md", "LICENSE"})); !slices.Equal(names, want) {
		return fmt.Errorf("holds %q, want %q", names, want)
	}
	bin := files[t.exe()]
	if t.goos != "windows" && bin.mode&0o111 == 0 {
		return fmt.Errorf("%s has mode %v, want it executable", t.exe(), bin.mode)
	}
	if got := binaryPlatform(bytes.NewReader(bin.data)); got != t.String() {
		return fmt.Errorf("%s is a %s binary, want %s", t.exe(), got, t)
	}
	if !bytes.Contains(bin.data, []byte("v"+version)) {
		return fmt.Errorf("%s does not carry the version v%s", t.exe(), version)
	}
	pkgBin, err := os.ReadFile(filepath.Join(dir, "npm", t.npmPlatform(), "bin", t.exe()))
	if err != nil {
		return err
	}
	if !bytes.Equal(pkgBin, bin.data) {
		return fmt.Errorf("%s differs from the one in the npm package %s", t.exe(), t.npmPackage())
	}
	return nil
}

// archived is one file read back from an archive.
type archived struct {
	mode os.FileMode
	data []byte
}

// readArchive reads every file of a .zip or .tar.gz.
func readArchive(path string) (map[string]archived, error) {
	out := map[string]archived{}
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			out[f.Name] = archived{mode: f.Mode(), data: data}
		}
		return out, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", hdr.Name, err)
		}
		out[hdr.Name] = archived{mode: hdr.FileInfo().Mode(), data: data}
	}
}

// binaryPlatform reads an executable's header, as file(1) does, and says
// which GOOS/GOARCH it runs on, or what it is instead.
func binaryPlatform(r io.ReaderAt) string {
	if f, err := elf.NewFile(r); err == nil {
		if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
			return "ELF " + f.Type.String()
		}
		goos := map[elf.OSABI]string{elf.ELFOSABI_NONE: "linux", elf.ELFOSABI_LINUX: "linux", elf.ELFOSABI_FREEBSD: "freebsd"}[f.OSABI]
		arch := map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}[f.Machine]
		return cmp.Or(goos, "ELF "+f.OSABI.String()) + "/" + cmp.Or(arch, f.Machine.String())
	}
	if f, err := macho.NewFile(r); err == nil {
		if f.Type != macho.TypeExec {
			return "Mach-O " + f.Type.String()
		}
		arch := map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.CpuArm64: "arm64"}[f.Cpu]
		return "darwin/" + cmp.Or(arch, f.Cpu.String())
	}
	if f, err := pe.NewFile(r); err == nil {
		oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
		if !ok || oh.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_CUI || f.Characteristics&pe.IMAGE_FILE_EXECUTABLE_IMAGE == 0 {
			return "PE file that is no 64-bit console program"
		}
		arch := map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64", pe.IMAGE_FILE_MACHINE_ARM64: "arm64"}[f.Machine]
		return "windows/" + cmp.Or(arch, fmt.Sprintf("machine %#x", f.Machine))
	}
	return "file that is no executable"
}
