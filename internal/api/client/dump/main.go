// Command dump writes the API's OpenAPI document, the input of the generated client.
package main

import (
	"bytes"
	"encoding/json"
	"log"
	"os"

	"github.com/peeracademy/peeracademy/internal/api/client"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: dump FILE")
	}
	b, err := client.Spec()
	if err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		log.Fatal(err)
	}
	out.WriteByte('\n')
	if err := os.WriteFile(os.Args[1], out.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
