package generate

import (
	"path"

	"google.golang.org/protobuf/compiler/protogen"

	"github.com/streamgen/streamgen/dsl"
)

// This file computes every Go identifier the generated code declares, once
// per topic, app, agent and table, as connect-go's newNames does for a
// service. Renderers read fields of these structs; they never build an
// identifier by concatenation.

// fileNames are the names of the files generated for one .proto file.
type fileNames struct {
	Streamgen      string                 // shop/v1/shop_streamgen.pb.go
	MockPackage    protogen.GoPackageName // shopv1mock
	MockImportPath protogen.GoImportPath  // example.com/shop/gen/shop/v1/shopv1mock
	Mock           string                 // shop/v1/shopv1mock/shop_streamgen_mock.pb.go
}

func newFileNames(f *protogen.File) fileNames {
	pkg := f.GoPackageName + "mock"
	prefix := f.GeneratedFilenamePrefix
	return fileNames{
		Streamgen:      prefix + "_streamgen.pb.go",
		MockPackage:    pkg,
		MockImportPath: protogen.GoImportPath(path.Join(string(f.GoImportPath), string(pkg))),
		Mock:           path.Join(path.Dir(prefix), string(pkg), path.Base(prefix)+"_streamgen_mock.pb.go"),
	}
}

// topicNames are the identifiers of one topic, named after its message.
type topicNames struct {
	Message   protogen.GoIdent // Order
	Const     string           // OrderTopicName: the topic name constant
	Handle    protogen.GoIdent // OrderTopic: the typed handle, in the message's package
	Desc      string           // _Order_TopicDesc
	KeyFunc   string           // _Order_Key
	RawGet    string           // _Order_RawGet
	RawSet    string           // _Order_RawSet
	EventTime string           // _Order_EventTime
	Emit      string           // EmitOrder: the emitter method that sends to the topic
}

func newTopicNames(m *protogen.Message) topicNames {
	base := m.GoIdent.GoName
	return topicNames{
		Message:   m.GoIdent,
		Const:     base + "TopicName",
		Handle:    m.GoIdent.GoImportPath.Ident(base + "Topic"),
		Desc:      "_" + base + "_TopicDesc",
		KeyFunc:   "_" + base + "_Key",
		RawGet:    "_" + base + "_RawGet",
		RawSet:    "_" + base + "_RawSet",
		EventTime: "_" + base + "_EventTime",
		Emit:      "Emit" + base,
	}
}

// appNames are the identifiers of one app (a service), with those of its
// agents and tables.
type appNames struct {
	Base          string // Shop: the service's Go name
	AppID         string // ShopAppID: the app id constant
	Agents        string // ShopAgents: the interface users implement
	Unimplemented string // UnimplementedShopAgents
	Register      string // RegisterShopAgents
	Desc          string // _Shop_AppDesc
	TablesClient  string // ShopTablesClient: the typed client of the app's table queries
	NewClient     string // NewShopTablesClient
	Mock          mockNames
	agents        map[string]agentNames // by agent name
	tables        map[string]tableNames // by table name
}

func newAppNames(s *protogen.Service, a *dsl.App) appNames {
	base := s.GoName
	n := appNames{
		Base:          base,
		AppID:         base + "AppID",
		Agents:        base + "Agents",
		Unimplemented: "Unimplemented" + base + "Agents",
		Register:      "Register" + base + "Agents",
		Desc:          "_" + base + "_AppDesc",
		TablesClient:  base + "TablesClient",
		NewClient:     "New" + base + "TablesClient",
		Mock:          newMockNames(base + "Agents"),
		agents:        map[string]agentNames{},
		tables:        map[string]tableNames{},
	}
	for _, ag := range a.Agents {
		n.agents[ag.Name] = newAgentNames(base, methodOf(s, ag))
	}
	for _, t := range a.Tables {
		n.tables[t.Name] = newTableNames(base, t)
	}
	return n
}

// agent returns the names of one of the app's agents.
func (n appNames) agent(ag *dsl.Agent) agentNames { return n.agents[ag.Name] }

// table returns the names of one of the app's tables.
func (n appNames) table(t *dsl.Table) tableNames { return n.tables[t.Name] }

// agentNames are the identifiers of one agent (an rpc).
type agentNames struct {
	Method      string // Total: the method of the agents interface
	Emitter     string // ShopTotalEmitter: the interface handed to the method
	EmitterImpl string // _ShopTotalEmitter
	Handler     string // _Shop_Total_Handler
	GroupBy     string // _Shop_Total_GroupBy
	DeadLetter  string // ShopTotalDeadLetterTopicName: the dead-letter topic constant
	Repartition string // ShopTotalRepartitionTopicName: the repartition topic constant
	Mock        mockNames
}

func newAgentNames(app string, m *protogen.Method) agentNames {
	emitter := app + m.GoName + "Emitter"
	return agentNames{
		Method:      m.GoName,
		Emitter:     emitter,
		EmitterImpl: "_" + emitter,
		Handler:     "_" + app + "_" + m.GoName + "_Handler",
		GroupBy:     "_" + app + "_" + m.GoName + "_GroupBy",
		DeadLetter:  app + m.GoName + "DeadLetterTopicName",
		Repartition: app + m.GoName + "RepartitionTopicName",
		Mock:        newMockNames(emitter),
	}
}

// tableNames are the identifiers of one table of an app.
type tableNames struct {
	Accessor  string // AccountTotals: the emitter method that returns the table
	Iface     string // ShopAccountTotalsTable: the typed accessor interface
	Impl      string // _ShopAccountTotalsTable
	Desc      string // _Shop_AccountTotals_TableDesc
	Const     string // ShopAccountTotalsTableName: the table name constant
	Changelog string // ShopAccountTotalsChangelogTopicName: the changelog topic constant
	// DeadLetter is the dead-letter topic constant of a table fed from a
	// topic: ShopCustomersTableDeadLetterTopicName.
	DeadLetter string
	Merge      string // MergeAccountTotals: the agents interface's merge method of a session table
	Join       string // JoinLabels: the agents interface's method that makes a table-table join's values
	ForeignKey string // _Shop_Labels_ForeignKey: a foreign-key join's function reading Left's foreign key
	// ByKey is the accessor of a plain table in the ticks of a timer that
	// runs on each partition: read and written by key, scanned.
	ByKey     string // ShopAccountTotalsTableByKey
	ByKeyImpl string // _ShopAccountTotalsTableByKey
	Client    tableClientNames
	Mock      mockNames
	ByKeyMock mockNames
}

// tableClientNames are the methods of the app's tables client that read
// one table: Get for every table, Scan and All for plain tables, At and
// Range for windowed tables.
type tableClientNames struct {
	Get   string // GetAccountTotals
	Scan  string // ScanAccountTotals
	All   string // AllAccountTotals
	At    string // AccountTotalsAt
	Range string // AccountTotalsRange
}

func newTableNames(app string, t *dsl.Table) tableNames {
	c := dsl.TableGoName(t.Name)
	iface := app + c + "Table"
	return tableNames{
		Accessor:   c,
		Iface:      iface,
		Impl:       "_" + iface,
		Desc:       "_" + app + "_" + c + "_TableDesc",
		Const:      app + c + "TableName",
		Changelog:  app + c + "ChangelogTopicName",
		DeadLetter: app + c + "TableDeadLetterTopicName",
		Merge:      "Merge" + c,
		Join:       "Join" + c,
		ForeignKey: "_" + app + "_" + c + "_ForeignKey",
		ByKey:      iface + "ByKey",
		ByKeyImpl:  "_" + iface + "ByKey",
		Client: tableClientNames{
			Get:   "Get" + c,
			Scan:  "Scan" + c,
			All:   "All" + c,
			At:    c + "At",
			Range: c + "Range",
		},
		Mock:      newMockNames(iface),
		ByKeyMock: newMockNames(iface + "ByKey"),
	}
}

// mockNames are the identifiers of the gomock mock of one interface.
type mockNames struct {
	Iface    string // ShopAgents: the mocked interface, in the parent package
	Type     string // MockShopAgents
	Recorder string // MockShopAgentsMockRecorder
	New      string // NewMockShopAgents
}

func newMockNames(iface string) mockNames {
	typ := "Mock" + iface
	return mockNames{Iface: iface, Type: typ, Recorder: typ + "MockRecorder", New: "New" + typ}
}

// windowMethod is the method of an on_window_close agent's emitter that
// returns the closed window the call is for.
const windowMethod = "Window"
