package tableclient_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/streamgen/streamgen/runtime/tableclient"
)

// A generated client (NewShopTablesClient) is the usual way to read an
// app's tables; the generic functions read any table, here as a schema-less
// structpb.Struct.
func ExampleGet() {
	worker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// GET /tables/balances/keys/a%2F1, as a worker answers it.
		fmt.Fprint(w, `{"table":"balances","key":"a/1","partition":3,"found":true,`+
			`"value":{"accountId":"a/1","sumCents":"42"},"source":"active","lag_records":0}`)
	}))
	defer worker.Close()

	c := tableclient.New(worker.URL)
	var info tableclient.Info
	v, found, err := tableclient.Get(context.Background(), c, "balances", "a/1",
		func() *structpb.Struct { return new(structpb.Struct) }, tableclient.WithInfo(&info))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(found, v.Fields["sumCents"].GetStringValue(), info.Partition, info.Source)
	// Output: true 42 3 active
}
