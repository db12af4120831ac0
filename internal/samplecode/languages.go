package samplecode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// delugeCode writes an invokeurl task that calls c.URL through the
// connection and logs the response.
func delugeCode(c Connection) string {
	var b strings.Builder
	fmt.Fprintf(&b, "// %s\n", summary(c))
	b.WriteString("response = invokeurl\n[\n")
	fmt.Fprintf(&b, "\turl: %s\n", delugeString(c.URL))
	b.WriteString("\ttype: GET\n")
	fmt.Fprintf(&b, "\tconnection: %s\n", delugeString(c.LinkName))
	b.WriteString("];\ninfo response;\n")
	return b.String()
}

// delugeString quotes s as a Deluge string literal, escaping backslashes,
// double quotes and line breaks with a backslash.
func delugeString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

// invokeRequest is the body of POST /v1/invoke.
type invokeRequest struct {
	URL        string `json:"url"`
	Method     string `json:"method"`
	Connection string `json:"connection"`
}

// invokeJSON writes the POST /v1/invoke body of the same call as the
// Deluge snippet. The encoder escapes <, > and & as \u003c and the like.
func invokeJSON(c Connection) string {
	data, err := json.MarshalIndent(invokeRequest{URL: c.URL, Method: "GET", Connection: c.LinkName}, "", "  ")
	if err != nil {
		// json.Marshal fails only on unsupported types and values, and
		// invokeRequest has only string fields.
		panic(err)
	}
	return string(data) + "\n"
}

// jsonString quotes s as a JSON string, which is also a valid string
// literal in Python and JavaScript. The encoder escapes <, >, &, U+2028 and
// U+2029, so the literal is safe inside an HTML script element too.
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// curlCode writes a curl command for a POSIX shell.
func curlCode(c Connection) string {
	var b strings.Builder
	for _, line := range proxySummary(c) {
		fmt.Fprintf(&b, "# %s\n", line)
	}
	fmt.Fprintf(&b, "curl -sS %s \\\n", shellQuote(c.ProxyURL()))
	b.WriteString("  -H \"Authorization: Bearer $PLUGBOARD_TOKEN\"\n")
	return b.String()
}

// shellQuote quotes s for a POSIX shell in single quotes, inside which
// nothing is special. A single quote in s closes the quoting, is written
// as \', and opens the quoting again.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// goCode writes a Go program that uses net/http.
func goCode(c Connection) string {
	var b strings.Builder
	for _, line := range proxySummary(c) {
		fmt.Fprintf(&b, "// %s\n", line)
	}
	b.WriteString(`package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
)

func main() {
`)
	fmt.Fprintf(&b, "\treq, err := http.NewRequest(http.MethodGet, %s, nil)\n", strconv.Quote(c.ProxyURL()))
	b.WriteString(`	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+os.Getenv("PLUGBOARD_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status)
	fmt.Println(string(body))
}
`)
	return b.String()
}

// pythonCode writes a Python 3 program that uses only urllib.request.
func pythonCode(c Connection) string {
	var b strings.Builder
	for _, line := range proxySummary(c) {
		fmt.Fprintf(&b, "# %s\n", line)
	}
	b.WriteString("import os\nimport urllib.request\n\n")
	b.WriteString("request = urllib.request.Request(\n")
	fmt.Fprintf(&b, "    %s,\n", jsonString(c.ProxyURL()))
	b.WriteString(`    headers={"Authorization": "Bearer " + os.environ["PLUGBOARD_TOKEN"]},
)
with urllib.request.urlopen(request) as response:
    print(response.status)
    print(response.read().decode())
`)
	return b.String()
}

// javaScriptCode writes a script for Node.js 18 or later, which has fetch.
// It avoids top-level await, which a CommonJS script rejects.
func javaScriptCode(c Connection) string {
	var b strings.Builder
	for _, line := range proxySummary(c) {
		// "</" is written "<\/" so the comment cannot close an HTML
		// script element.
		fmt.Fprintf(&b, "// %s\n", strings.ReplaceAll(line, "</", `<\/`))
	}
	b.WriteString("async function main() {\n")
	fmt.Fprintf(&b, "  const response = await fetch(%s, {\n", jsonString(c.ProxyURL()))
	b.WriteString(`    headers: { Authorization: "Bearer " + process.env.PLUGBOARD_TOKEN },
  });
  console.log(response.status);
  console.log(await response.text());
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
`)
	return b.String()
}
