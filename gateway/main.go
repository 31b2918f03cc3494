// jinguo-gateway: REST/JSON for every RPC of every Jinguo service, in one process in front of them all. The routes
// come from the google.api.http annotations in protos/ (grpc-gateway v2 generates the handlers into gen/); the
// OpenAPI document generated from the same annotations is served at /openapi.json, with a viewer at /docs/.
//
// The caller's bearer token (Authorization) goes to the service as gRPC metadata, so the service authenticates and
// audits the caller exactly as on gRPC; the caller's X-Request-Id goes with it, and fills the request's request_id
// when the body has none. Errors are JSON google.rpc.Status with the
// service's field violations, under the HTTP status that matches the gRPC code. Exports stream as CSV downloads;
// ImportBeneficiaries takes JSON lines, one request per line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	_ "google.golang.org/genproto/googleapis/rpc/errdetails" // field violations in error details, as JSON
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	auditv1 "jinguo/gateway/gen/jinguo/audit/v1"
	healthv1 "jinguo/gateway/gen/jinguo/health/v1"
	loansv1 "jinguo/gateway/gen/jinguo/loans/v1"
	publicityv1 "jinguo/gateway/gen/jinguo/publicity/v1"
	registrationv1 "jinguo/gateway/gen/jinguo/registration/v1"
	reportingv1 "jinguo/gateway/gen/jinguo/reporting/v1"
	trainingv1 "jinguo/gateway/gen/jinguo/training/v1"
)

type registrar func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error

// A backend service: its flag, its default address under `make run`, and the handlers it serves.
type backend struct {
	name, address string
	register      []registrar
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to serve REST/JSON on")
	openapi := flag.String("openapi", "", "the OpenAPI document to serve at /openapi.json (default: docs/api/openapi.json, or beside the binary)")
	docs := flag.String("docs", "", "the API viewer's files, served under /docs/ (default: share/jinguo/api-docs beside the binary)")
	maxBody := flag.Int64("max-body-bytes", 8<<20, "largest request body accepted; a larger one is refused with 413")
	tlsCert := flag.String("tls-cert", "", "client certificate for mutual TLS to the services (with --tls-key and --tls-ca)")
	tlsKey := flag.String("tls-key", "", "its private key")
	tlsCA := flag.String("tls-ca", "", "the CA that signed the services' certificates")
	backends := []*backend{
		{name: "registration", address: "127.0.0.1:50051", register: []registrar{registrationv1.RegisterRegistrationServiceHandler}},
		{name: "reporting", address: "127.0.0.1:50052", register: []registrar{reportingv1.RegisterReportingServiceHandler}},
		{name: "health", address: "127.0.0.1:50053", register: []registrar{healthv1.RegisterHealthServiceHandler}},
		{name: "loans", address: "127.0.0.1:50054", register: []registrar{loansv1.RegisterLoanServiceHandler}},
		{name: "training", address: "127.0.0.1:50055", register: []registrar{trainingv1.RegisterTrainingServiceHandler}},
		{name: "publicity", address: "127.0.0.1:50056", register: []registrar{publicityv1.RegisterPublicityServiceHandler}},
	}
	audit := flag.String("audit", "127.0.0.1:50051", "the service whose audit trail /v1/audit-records reads")
	for _, b := range backends {
		flag.StringVar(&b.address, b.name, b.address, fmt.Sprintf("the %s service's gRPC address", b.name))
	}
	flag.Parse()

	creds := insecure.NewCredentials()
	if *tlsCert != "" {
		c, err := loadTLS(*tlsCert, *tlsKey, *tlsCA)
		if err != nil {
			log.Fatalf("gateway: --tls-cert: %v", err)
		}
		creds = c
	}
	mux := newMux(*maxBody)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	conns := map[string]*grpc.ClientConn{}
	dial := func(address string) *grpc.ClientConn {
		if c, ok := conns[address]; ok {
			return c
		}
		c, err := grpc.NewClient(address, grpc.WithTransportCredentials(creds),
			grpc.WithUnaryInterceptor(requestIDInterceptor),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20)))
		if err != nil {
			log.Fatalf("gateway: %s: %v", address, err)
		}
		conns[address] = c
		return c
	}
	for _, b := range backends {
		for _, r := range b.register {
			if err := r(ctx, mux, dial(b.address)); err != nil {
				log.Fatalf("gateway: %s: %v", b.name, err)
			}
		}
	}
	if err := auditv1.RegisterAuditServiceHandler(ctx, mux, dial(*audit)); err != nil {
		log.Fatalf("gateway: audit: %v", err)
	}
	// Exports as downloads (registered after the generated routes, so they take their place).
	reporting := reportingv1.NewReportingServiceClient(dial(backends[1].address))
	loans := loansv1.NewLoanServiceClient(dial(backends[3].address))
	exportReport := func(w http.ResponseWriter, r *http.Request, p map[string]string) {
		download(w, r, mux, fmt.Sprintf("report-%s.csv", orCountry(p["region_code"])), func(ctx context.Context) (chunks, error) {
			s, err := reporting.ExportReport(ctx, &reportingv1.ExportReportRequest{RegionCode: p["region_code"]})
			return func() ([]byte, error) { m, err := s.Recv(); return m.GetCsv(), err }, err
		})
	}
	must(mux.HandlePath("GET", "/v1/regions/{region_code}:export", exportReport))
	must(mux.HandlePath("GET", "/v1/report:export", exportReport))
	must(mux.HandlePath("GET", "/v1/subsidy-claims/{claim_id}:export", func(w http.ResponseWriter, r *http.Request, p map[string]string) {
		download(w, r, mux, fmt.Sprintf("subsidy-claim-%s.csv", p["claim_id"]), func(ctx context.Context) (chunks, error) {
			s, err := loans.ExportSubsidyClaim(ctx, &loansv1.ExportSubsidyClaimRequest{ClaimId: p["claim_id"]})
			return func() ([]byte, error) { m, err := s.Recv(); return m.GetData(), err }, err
		})
	}))

	root := http.NewServeMux()
	root.Handle("/", limitBody(mux, *maxBody))
	root.HandleFunc("/openapi.json", serveFile(findAsset(*openapi, "docs/api/openapi.json", "share/jinguo/api-docs/openapi.json"), "application/json"))
	root.Handle("/docs/", http.StripPrefix("/docs/", http.FileServer(http.Dir(findAsset(*docs, "build/share/jinguo/api-docs", "share/jinguo/api-docs")))))
	root.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })

	server := &http.Server{Addr: *listen, Handler: root, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		server.Shutdown(shutdown)
	}()
	log.Printf("gateway: REST/JSON on http://%s (OpenAPI at /openapi.json, viewer at /docs/)", *listen)
	if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("gateway: %v", err)
	}
}

func must(err error) {
	if err != nil {
		log.Fatalf("gateway: %v", err)
	}
}

// The gateway's mux: proto field names in JSON (as in the .proto files), unknown fields refused (named), the
// caller's request id forwarded, and errors as google.rpc.Status.
func newMux(maxBody int64) *runtime.ServeMux {
	marshaler := &runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}
	return runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, marshaler),
		runtime.WithIncomingHeaderMatcher(func(key string) (string, bool) {
			switch strings.ToLower(key) {
			case "x-request-id":
				return "x-request-id", true
			}
			return runtime.DefaultHeaderMatcher(key)
		}),
		runtime.WithErrorHandler(func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
			if errors.As(err, new(*http.MaxBytesError)) || strings.Contains(err.Error(), "request body too large") {
				writeStatus(w, http.StatusRequestEntityTooLarge, codes.InvalidArgument,
					fmt.Sprintf("request body: larger than the %d bytes accepted", maxBody))
				return
			}
			// A body the JSON decoder refused: say so, naming fields as the .proto files (and the JSON) do.
			if s, ok := status.FromError(err); ok && s.Code() == codes.InvalidArgument && strings.HasPrefix(s.Message(), "proto:") {
				message := "request body: " + strings.TrimSpace(strings.TrimPrefix(s.Message(), "proto:"))
				message = fieldName.ReplaceAllStringFunc(message, func(f string) string { return "field " + snake(f[len("field "):]) })
				writeStatus(w, http.StatusBadRequest, codes.InvalidArgument, message)
				return
			}
			runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
		}),
	)
}

var fieldName = regexp.MustCompile(`field [a-z][A-Za-z0-9]*`)

// "regionCode" → "region_code".
func snake(name string) string {
	var b strings.Builder
	for _, c := range name {
		if unicode.IsUpper(c) {
			b.WriteByte('_')
			c = unicode.ToLower(c)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Refuses a declared body over the limit at once, and stops reading an undeclared one at the limit.
func limitBody(next http.Handler, max int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeStatus(w, http.StatusRequestEntityTooLarge, codes.InvalidArgument,
				fmt.Sprintf("request body: %d bytes, larger than the %d accepted", r.ContentLength, max))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

func writeStatus(w http.ResponseWriter, httpStatus int, code codes.Code, message string) {
	body, _ := protojson.Marshal(status.New(code, message).Proto())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	w.Write(body)
}

type chunks func() ([]byte, error)

// Streams a server-streaming export as one CSV download. An error before the first chunk is the call's error, as
// JSON; one after it cuts the download short (the status line is already sent).
func download(w http.ResponseWriter, r *http.Request, mux *runtime.ServeMux, name string, open func(context.Context) (chunks, error)) {
	ctx := outgoing(r)
	next, err := open(ctx)
	var first []byte
	if err == nil {
		first, err = next()
	}
	if err != nil && err != io.EOF {
		runtime.HTTPError(ctx, mux, &runtime.JSONPb{}, w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Write(first)
	for err == nil {
		var b []byte
		if b, err = next(); err == nil {
			w.Write(b)
		}
	}
	if err != io.EOF {
		log.Printf("gateway: %s cut short: %v", name, err)
	}
}

// The caller's token and request id as outgoing gRPC metadata, for the routes written by hand.
func outgoing(r *http.Request) context.Context {
	md := metadata.MD{}
	if a := r.Header.Get("Authorization"); a != "" {
		md.Set("authorization", a)
	}
	if id := r.Header.Get("X-Request-Id"); id != "" {
		md.Set("x-request-id", id)
	}
	return metadata.NewOutgoingContext(r.Context(), md)
}

// The caller's X-Request-Id becomes the request's request_id when the body left it empty: a REST client retries
// with the same header, and the service answers the retry as it answered the first call (its idempotency key).
func requestIDInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if md, ok := metadata.FromOutgoingContext(ctx); ok {
		if ids := md.Get("x-request-id"); len(ids) > 0 && ids[0] != "" {
			if m, ok := req.(proto.Message); ok {
				r := m.ProtoReflect()
				f := r.Descriptor().Fields().ByName("request_id")
				if f != nil && f.Kind() == protoreflect.StringKind && r.Get(f).String() == "" {
					r.Set(f, protoreflect.ValueOfString(ids[0]))
				}
			}
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

func orCountry(region string) string {
	if region == "" {
		return "all"
	}
	return region
}

// The first of: the flag's value, `repo` under the working directory, `installed` beside the binary's parent.
func findAsset(flagValue, repo, installed string) string {
	if flagValue != "" {
		return flagValue
	}
	if _, err := os.Stat(repo); err == nil {
		return repo
	}
	if exe, err := os.Executable(); err == nil {
		for dir := filepath.Dir(exe); dir != "/"; dir = filepath.Dir(dir) {
			if p := filepath.Join(dir, installed); fileExists(p) {
				return p
			}
		}
	}
	return repo
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func serveFile(path, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(path)
		if err != nil {
			http.Error(w, "the OpenAPI document is not installed: "+path, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Write(b)
	}
}
