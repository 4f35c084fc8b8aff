package compat_test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const evnetPath = "github.com/evnet/evnet"

// evnetOwned are the types of net that evnet implements itself on unix. Every
// other type of net must be an alias of net's type of the same name, so that
// type switches, errors.As and errors.Is in user code keep working.
var evnetOwned = map[string]bool{
	"TCPConn": true, "TCPListener": true, "UDPConn": true, "UnixConn": true,
	"UnixListener": true, "IPConn": true, "Dialer": true, "ListenConfig": true,
	"Buffers": true,
}

// TestAPICoverage checks that evnet declares every feature of package net
// listed in $GOROOT/api/go1*.txt (each const, var, func, type, method, struct
// field and interface method) with the same kind and signature. Features are
// printed the way cmd/api prints them, except that types of both net and
// evnet are unqualified, so *TCPAddr reads the same whether it is an alias of
// net's type or evnet's own. evnet is type-checked from source; it is not
// imported, so this test also runs while the package does not build.
//
// It checks the host platform and, unless -short, two platforms without an
// evnet selector, where api_other.go must fill the gaps.
func TestAPICoverage(t *testing.T) {
	goroot := apiGOROOT()
	files, _ := filepath.Glob(filepath.Join(goroot, "api", "go1*.txt"))
	if len(files) == 0 {
		t.Skipf("no API files: %s/api/go1*.txt is absent", goroot)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	targets := []struct{ goos, goarch string }{
		{build.Default.GOOS, build.Default.GOARCH},
		{"windows", "amd64"},
		{"js", "wasm"},
	}
	for i, tt := range targets {
		t.Run(tt.goos+"/"+tt.goarch, func(t *testing.T) {
			if i > 0 && testing.Short() {
				t.Skip("other platforms are checked without -short")
			}
			checkAPI(t, newLoader(goroot, tt.goos, tt.goarch), files, wd)
		})
	}
}

// checkAPI compares the features of net in the API files with those of evnet
// as ld sees it from directory wd.
func checkAPI(t *testing.T, ld *loader, files []string, wd string) {
	want, err := ld.readAPI(files, filepath.Join(ld.ctxt.GOROOT, "api", "except.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatalf("no features of package net in %s/api", ld.ctxt.GOROOT)
	}
	pkg, info, typeErrs, err := ld.loadRoot(evnetPath, wd)
	if err != nil {
		t.Fatalf("loading %s: %v", evnetPath, err)
	}
	for i, e := range typeErrs {
		if i == 10 {
			t.Logf("... and %d more type errors", len(typeErrs)-i)
			break
		}
		t.Logf("type error in %s (its features may be incomplete): %v", evnetPath, e)
	}
	netPkg := ld.pkgs["net"]
	if netPkg == nil {
		t.Fatalf("%s does not import net", evnetPath)
	}

	// Self-check: the printer must reproduce the API files for net itself,
	// or a missing feature below could be a bug of this test.
	var bad []string
	netHave := features(netPkg)
	for _, f := range want {
		if !netHave[f] {
			bad = append(bad, f)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("feature printer does not reproduce $GOROOT/api for net (bug in this test):\n\t%s",
			strings.Join(bad, "\n\t"))
	}

	have := features(pkg)
	haveByKey := make(map[string][]string)
	for f := range have {
		haveByKey[featureKey(f)] = append(haveByKey[featureKey(f)], f)
	}
	var problems []string
	covered := 0
	for _, f := range want {
		if have[f] {
			covered++
			continue
		}
		if alt := haveByKey[featureKey(f)]; len(alt) > 0 {
			slices.Sort(alt)
			problems = append(problems, fmt.Sprintf("mismatch: %s (have %s)", f, strings.Join(alt, "; ")))
		} else {
			problems = append(problems, "missing: "+f)
		}
	}
	problems = append(problems, identityProblems(pkg, info, want)...)
	slices.Sort(problems)

	target := ld.ctxt.GOOS + "/" + ld.ctxt.GOARCH
	t.Logf("API coverage: %d/%d features of net on %s", covered, len(want), target)
	if testing.Verbose() {
		fmt.Printf("API coverage: %d/%d features of net on %s\n", covered, len(want), target)
		wantSet := make(map[string]bool, len(want))
		for _, f := range want {
			wantSet[f] = true
		}
		var extra []string
		for f := range have {
			if !wantSet[f] {
				extra = append(extra, f)
			}
		}
		slices.Sort(extra)
		for _, f := range extra {
			t.Logf("evnet only: %s", f)
		}
	}
	if len(problems) > 0 {
		t.Errorf("%d features of net are missing or differ in %s on %s:\n\t%s",
			len(problems), evnetPath, target, strings.Join(problems, "\n\t"))
	}
}

// TestNetFeature checks the parsing of API file lines.
func TestNetFeature(t *testing.T) {
	ld := newLoader("", "linux", "amd64")
	tests := []struct {
		name, line, want string
		ok               bool
	}{
		{"plain", "pkg net, func ParseIP(string) IP\n", "func ParseIP(string) IP", true},
		{"approval", "pkg net, const FlagRunning = 32 #53482", "const FlagRunning = 32", true},
		{"deprecated", "pkg net, type Dialer struct, DualStack //deprecated", "type Dialer struct, DualStack //deprecated", true},
		{"this context", "pkg net (linux-amd64), const X = 1", "const X = 1", true},
		{"this context cgo", "pkg net (linux-amd64-cgo), const X = 1", "const X = 1", true},
		{"other context", "pkg net (linux-386), const X = 1", "", false},
		{"other package", "pkg net/http, func Get(string) (*Response, error)", "", false},
		{"blank", "\n", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ld.netFeature(tt.line)
			if got != tt.want || ok != tt.ok {
				t.Errorf("netFeature(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestFeatureKey checks the names under which mismatches are paired.
func TestFeatureKey(t *testing.T) {
	tests := map[string]string{
		"func ParseIP(string) IP":                              "ParseIP",
		"var ParseIP func(string) IP":                          "ParseIP",
		"const FlagUp Flags":                                   "FlagUp",
		"const FlagUp = 1":                                     "FlagUp",
		"method (*TCPConn) ReadFrom(io.Reader) (int64, error)": "TCPConn.ReadFrom",
		"method (IP) String() string":                          "IP.String",
		"type Dialer struct":                                   "Dialer",
		"type Dialer struct, Timeout time.Duration":            "Dialer.Timeout",
		"type Conn interface, Read([]uint8) (int, error)":      "Conn.Read",
		"type Conn interface { Close, Read }":                  "Conn",
		"type Buffers [][]uint8":                               "Buffers",
	}
	for f, want := range tests {
		if got := featureKey(f); got != want {
			t.Errorf("featureKey(%q) = %q, want %q", f, got, want)
		}
	}
}

// apiGOROOT returns the GOROOT whose api directory describes the toolchain:
// go/build's default, else what the go command reports.
func apiGOROOT() string {
	if root := build.Default.GOROOT; root != "" {
		if _, err := os.Stat(filepath.Join(root, "api")); err == nil {
			return root
		}
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return build.Default.GOROOT
	}
	return strings.TrimSpace(string(out))
}

// readAPI returns the sorted features of package net in files, without the
// "pkg net, " prefix, leaving out "//deprecated" markers and the features
// listed in the except file (features that were changed after their release).
func (ld *loader) readAPI(files []string, except string) ([]string, error) {
	skip := make(map[string]bool)
	if data, err := os.ReadFile(except); err == nil {
		for line := range strings.Lines(string(data)) {
			if f, ok := ld.netFeature(line); ok {
				skip[f] = true
			}
		}
	}
	set := make(map[string]bool)
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		for line := range strings.Lines(string(data)) {
			f, ok := ld.netFeature(line)
			if ok && !skip[f] && !strings.HasSuffix(f, "//deprecated") {
				set[f] = true
			}
		}
	}
	want := make([]string, 0, len(set))
	for f := range set {
		want = append(want, f)
	}
	slices.Sort(want)
	return want, nil
}

// netFeature returns the feature of an API file line about package net, with
// its proposal number (" #12345") removed. Lines qualified with a context,
// "pkg net (linux-386), ...", count only for the context under test.
func (ld *loader) netFeature(line string) (string, bool) {
	line = strings.TrimSpace(line)
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	rest, ok := strings.CutPrefix(line, "pkg net")
	if !ok {
		return "", false
	}
	if f, ok := strings.CutPrefix(rest, ", "); ok {
		return f, true
	}
	if ctx, f, ok := strings.Cut(strings.TrimPrefix(rest, " ("), "), "); ok && strings.HasPrefix(rest, " (") {
		host := ld.ctxt.GOOS + "-" + ld.ctxt.GOARCH
		if ctx == host || ctx == host+"-cgo" {
			return f, true
		}
	}
	return "", false
}

// featureKey names the identifier a feature is about ("ParseIP",
// "TCPConn.ReadFrom", "Dialer.Timeout"), so that a missing feature can be
// shown next to what evnet declares under the same name.
func featureKey(f string) string {
	kind, rest, _ := strings.Cut(f, " ")
	switch kind {
	case "method": // method (*T) M(...)
		recv, m, _ := strings.Cut(rest, ") ")
		recv = strings.TrimPrefix(strings.TrimPrefix(recv, "("), "*")
		name, _, _ := strings.Cut(m, "(")
		return recv + "." + name
	case "type": // type T ..., or type T struct, F X, or type T interface, M(...)
		name, decl, _ := strings.Cut(rest, " ")
		member, ok := strings.CutPrefix(decl, "struct, ")
		if !ok {
			member, ok = strings.CutPrefix(decl, "interface, ")
		}
		if ok {
			m, _, _ := strings.Cut(member, " ")
			m, _, _ = strings.Cut(m, "(")
			return name + "." + m
		}
		return name
	default: // const, var, func
		name, _, _ := strings.Cut(rest, " ")
		name, _, _ = strings.Cut(name, "(")
		return name
	}
}

// identityProblems reports what the feature lines cannot see: a type of net
// that evnet does not own must be an alias of net's type of the same name,
// and a var must start out as net's value (declared as "var X = net.X").
func identityProblems(pkg *types.Package, info *types.Info, want []string) []string {
	initFrom := make(map[*types.Var]ast.Expr)
	for _, in := range info.InitOrder {
		if len(in.Lhs) == 1 {
			initFrom[in.Lhs[0]] = in.Rhs
		}
	}
	var problems []string
	seen := make(map[string]bool)
	for _, f := range want {
		kind, rest, _ := strings.Cut(f, " ")
		name, _, _ := strings.Cut(rest, " ")
		if (kind != "type" && kind != "var") || seen[name] {
			continue
		}
		seen[name] = true
		obj := pkg.Scope().Lookup(name)
		switch obj := obj.(type) {
		case *types.TypeName:
			if evnetOwned[name] {
				continue
			}
			named, _ := types.Unalias(obj.Type()).(*types.Named)
			if !obj.IsAlias() || named == nil || named.Obj().Pkg() == nil ||
				named.Obj().Pkg().Path() != "net" || named.Obj().Name() != name {
				problems = append(problems, fmt.Sprintf("identity: type %s must be an alias of net.%s, not %s",
					name, name, types.ObjectString(obj, types.RelativeTo(pkg))))
			}
		case *types.Var:
			sel, _ := ast.Unparen(initFrom[obj]).(*ast.SelectorExpr)
			var src types.Object
			if sel != nil {
				src = info.Uses[sel.Sel]
			}
			if src == nil || src.Pkg() == nil || src.Pkg().Path() != "net" || src.Name() != name {
				problems = append(problems, fmt.Sprintf("identity: var %s must be declared as %s = net.%s",
					name, name, name))
			}
		}
	}
	return problems
}

// features returns pkg's exported API as cmd/api prints it (see
// $GOROOT/src/cmd/api/main_test.go), without "//deprecated" markers. A type
// alias of a named type stands for that type's declaration under the alias's
// name: "type TCPAddr = net.TCPAddr" yields "type TCPAddr struct", its fields
// and its methods, as net's own declaration does.
func features(pkg *types.Package) map[string]bool {
	w := &walker{features: make(map[string]bool)}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		if !token.IsExported(name) {
			continue
		}
		switch obj := scope.Lookup(name).(type) {
		case *types.Const:
			w.emitf("const %s %s", name, w.typeString(obj.Type()))
			w.emitf("const %s = %s", name, obj.Val().String())
		case *types.Var:
			w.emitf("var %s %s", name, w.typeString(obj.Type()))
		case *types.Func:
			w.emitf("func %s%s", name, w.signatureString(obj.Signature()))
		case *types.TypeName:
			w.emitType(obj)
		}
	}
	return w.features
}

// walker prints features like cmd/api's Walker.
type walker struct {
	scope    []string
	features map[string]bool
}

func (w *walker) emitf(format string, args ...any) {
	f := fmt.Sprintf(format, args...)
	if len(w.scope) > 0 {
		f = strings.Join(w.scope, ", ") + ", " + f
	}
	w.features[f] = true
}

func (w *walker) emitType(obj *types.TypeName) {
	name := obj.Name()
	var typ types.Type = obj.Type()
	if obj.IsAlias() {
		named, ok := types.Unalias(typ).(*types.Named)
		if !ok || named.TypeParams() != nil {
			w.emitf("type %s = %s", name, w.typeString(typ))
			return
		}
		typ = named
	}
	switch u := typ.Underlying().(type) {
	case *types.Struct:
		w.emitStruct(name, u)
	case *types.Interface:
		w.emitInterface(name, u)
		return // interface methods are features of the interface
	default:
		w.emitf("type %s %s", name, w.typeString(u))
	}
	// Methods with a value receiver, then those with a pointer receiver only.
	done := make(map[string]bool)
	for _, t := range []types.Type{typ, types.NewPointer(typ)} {
		mset := types.NewMethodSet(t)
		for i := range mset.Len() {
			m := mset.At(i)
			if !m.Obj().Exported() || done[m.Obj().Name()] {
				continue
			}
			done[m.Obj().Name()] = true
			sig := m.Type().(*types.Signature)
			w.emitf("method (%s) %s%s", w.typeString(sig.Recv().Type()), m.Obj().Name(), w.signatureString(sig))
		}
	}
}

func (w *walker) emitStruct(name string, st *types.Struct) {
	w.emitf("type %s struct", name)
	w.scope = append(w.scope, "type "+name+" struct")
	for f := range st.Fields() {
		switch {
		case !f.Exported():
		case f.Anonymous():
			w.emitf("embedded %s", w.typeString(f.Type()))
		default:
			w.emitf("%s %s", f.Name(), w.typeString(f.Type()))
		}
	}
	w.scope = w.scope[:len(w.scope)-1]
}

func (w *walker) emitInterface(name string, it *types.Interface) {
	w.scope = append(w.scope, "type "+name+" interface")
	var names []string
	complete := true
	mset := types.NewMethodSet(it)
	for i := range mset.Len() {
		m := mset.At(i).Obj().(*types.Func)
		if !m.Exported() {
			complete = false
			continue
		}
		names = append(names, m.Name())
		w.emitf("%s%s", m.Name(), w.signatureString(m.Signature()))
	}
	if !complete {
		w.emitf("unexported methods")
	}
	w.scope = w.scope[:len(w.scope)-1]
	switch {
	case !complete:
	case len(names) == 0:
		w.emitf("type %s interface {}", name)
	default:
		slices.Sort(names)
		w.emitf("type %s interface { %s }", name, strings.Join(names, ", "))
	}
}

func (w *walker) typeString(typ types.Type) string {
	var buf bytes.Buffer
	w.writeType(&buf, typ)
	return buf.String()
}

func (w *walker) signatureString(sig *types.Signature) string {
	var buf bytes.Buffer
	w.writeSignature(&buf, sig)
	return buf.String()
}

// writeType is cmd/api's, except that named types of net and evnet are
// written unqualified.
func (w *walker) writeType(buf *bytes.Buffer, typ types.Type) {
	switch typ := typ.(type) {
	case *types.Basic:
		s := typ.Name()
		switch typ.Kind() {
		case types.UnsafePointer:
			s = "unsafe.Pointer"
		case types.UntypedBool:
			s = "ideal-bool"
		case types.UntypedInt:
			s = "ideal-int"
		case types.UntypedRune:
			s = "ideal-char"
		case types.UntypedFloat:
			s = "ideal-float"
		case types.UntypedComplex:
			s = "ideal-complex"
		case types.UntypedString:
			s = "ideal-string"
		case types.Byte:
			s = "uint8"
		case types.Rune:
			s = "int32"
		}
		buf.WriteString(s)
	case *types.Array:
		fmt.Fprintf(buf, "[%d]", typ.Len())
		w.writeType(buf, typ.Elem())
	case *types.Slice:
		buf.WriteString("[]")
		w.writeType(buf, typ.Elem())
	case *types.Struct:
		buf.WriteString("struct")
	case *types.Pointer:
		buf.WriteByte('*')
		w.writeType(buf, typ.Elem())
	case *types.Signature:
		buf.WriteString("func")
		w.writeSignature(buf, typ)
	case *types.Interface:
		var names []string
		for m := range typ.Methods() {
			names = append(names, m.Name())
		}
		slices.Sort(names)
		if len(names) == 0 {
			buf.WriteString("interface{}")
		} else {
			fmt.Fprintf(buf, "interface{ %s }", strings.Join(names, ", "))
		}
	case *types.Map:
		buf.WriteString("map[")
		w.writeType(buf, typ.Key())
		buf.WriteByte(']')
		w.writeType(buf, typ.Elem())
	case *types.Chan:
		switch typ.Dir() {
		case types.SendOnly:
			buf.WriteString("chan<- ")
		case types.RecvOnly:
			buf.WriteString("<-chan ")
		default:
			buf.WriteString("chan ")
		}
		w.writeType(buf, typ.Elem())
	case *types.Alias:
		w.writeType(buf, types.Unalias(typ))
	case *types.Named:
		if pkg := typ.Obj().Pkg(); pkg != nil && pkg.Path() != "net" && pkg.Path() != evnetPath {
			buf.WriteString(pkg.Name())
			buf.WriteByte('.')
		}
		buf.WriteString(typ.Obj().Name())
		if targs := typ.TypeArgs(); targs.Len() > 0 {
			buf.WriteByte('[')
			for i := range targs.Len() {
				if i > 0 {
					buf.WriteString(", ")
				}
				w.writeType(buf, targs.At(i))
			}
			buf.WriteByte(']')
		}
	case *types.TypeParam:
		fmt.Fprintf(buf, "$%d", typ.Index())
	default:
		fmt.Fprintf(buf, "<%T>", typ)
	}
}

func (w *walker) writeSignature(buf *bytes.Buffer, sig *types.Signature) {
	w.writeParams(buf, sig.Params(), sig.Variadic())
	switch res := sig.Results(); res.Len() {
	case 0:
	case 1:
		buf.WriteByte(' ')
		w.writeType(buf, res.At(0).Type())
	default:
		buf.WriteByte(' ')
		w.writeParams(buf, res, false)
	}
}

func (w *walker) writeParams(buf *bytes.Buffer, t *types.Tuple, variadic bool) {
	buf.WriteByte('(')
	for i := range t.Len() {
		if i > 0 {
			buf.WriteString(", ")
		}
		typ := t.At(i).Type()
		if variadic && i == t.Len()-1 {
			buf.WriteString("...")
			typ = typ.(*types.Slice).Elem()
		}
		w.writeType(buf, typ)
	}
	buf.WriteByte(')')
}

// loader type-checks packages from source, function bodies skipped, with cgo
// off so that no C toolchain is needed (net's API does not depend on cgo).
// It is a types.ImporterFrom, like go/importer's "source" importer, but it
// keeps going past type errors so that a half-written evnet still reports.
type loader struct {
	ctxt build.Context
	fset *token.FileSet
	pkgs map[string]*types.Package // by import path; nil while being checked
}

func newLoader(goroot, goos, goarch string) *loader {
	ctxt := build.Default
	ctxt.GOROOT = goroot
	ctxt.GOOS, ctxt.GOARCH = goos, goarch
	ctxt.CgoEnabled = false
	return &loader{ctxt: ctxt, fset: token.NewFileSet(), pkgs: make(map[string]*types.Package)}
}

func (ld *loader) Import(path string) (*types.Package, error) {
	return ld.ImportFrom(path, "", 0)
}

func (ld *loader) ImportFrom(path, dir string, _ types.ImportMode) (*types.Package, error) {
	if path == "unsafe" {
		return types.Unsafe, nil
	}
	bp, err := ld.ctxt.Import(path, dir, 0)
	if err != nil {
		return nil, err
	}
	if pkg, ok := ld.pkgs[bp.ImportPath]; ok {
		if pkg == nil {
			return nil, fmt.Errorf("import cycle through %s", bp.ImportPath)
		}
		return pkg, nil
	}
	// Type errors in a dependency are not this test's business: the
	// partial package still has what the features of evnet refer to.
	pkg, _, _, err := ld.check(bp)
	return pkg, err
}

// loadRoot type-checks the package path as found from dir, and returns its
// type errors separately.
func (ld *loader) loadRoot(path, dir string) (*types.Package, *types.Info, []error, error) {
	bp, err := ld.ctxt.Import(path, dir, 0)
	if err != nil {
		return nil, nil, nil, err
	}
	return ld.check(bp)
}

func (ld *loader) check(bp *build.Package) (*types.Package, *types.Info, []error, error) {
	ld.pkgs[bp.ImportPath] = nil
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(ld.fset, filepath.Join(bp.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			delete(ld.pkgs, bp.ImportPath)
			return nil, nil, nil, err
		}
		files = append(files, f)
	}
	var errs []error
	conf := types.Config{
		Importer:         ld,
		IgnoreFuncBodies: true,
		Sizes:            types.SizesFor("gc", ld.ctxt.GOARCH),
		Error:            func(err error) { errs = append(errs, err) },
	}
	info := &types.Info{Uses: make(map[*ast.Ident]types.Object)}
	// The error is also in errs; the package is usable anyway.
	pkg, _ := conf.Check(bp.ImportPath, ld.fset, files, info)
	ld.pkgs[bp.ImportPath] = pkg
	return pkg, info, errs, nil
}
