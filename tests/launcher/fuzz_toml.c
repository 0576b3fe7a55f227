/* libFuzzer target: arbitrary bytes through the TOML parser and, when they
 * parse, through manifest validation and blob serialization. Both must fail
 * cleanly (no crash, leak or overflow) on any input. */
#include "../../tools/manifest.h"
#include "../../tools/toml.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct toml_error err;
    struct toml_doc *doc = toml_parse((const char *)data, size, &err);
    if (!doc)
        return 0;
    toml_free(doc);

    static char *const args[] = { "a", "b" };
    static char *const envp[] = { "TERM=xterm", "HOME=/root", NULL };
    struct manifest m;
    char msg[1024];
    if (manifest_parse((const char *)data, size, "/fuzz/m.toml", args, 2, envp, &m, msg, sizeof(msg)))
        return 0;
    size_t len;
    free(manifest_blob(&m, &len));
    manifest_free(&m);
    return 0;
}
