"""Every PYRED__SECTION__KEY variable and every key of a TOML configuration file that
the deployment files set must be a key the services know: their configuration is
strict (an unknown key stops start-up), so a typo here would be a crash loop there.

The known keys are read from libs/runtime/src/config.rs: the fields of `Settings`,
and for a field whose type is another `…Settings` struct, that struct's fields.

usage: python3 config_keys.py CONFIG_RS FILE...   (YAML manifests or TOML files)
"""

import re
import sys
import tomllib

import yaml  # installed with kubernetes-validate


def known_keys(config_rs: str) -> set[str]:
    structs: dict[str, list[tuple[str, str]]] = {}
    for match in re.finditer(r"pub struct (\w+) \{(.*?)\n\}", config_rs, re.S):
        fields = re.findall(r"^\s*pub (\w+): ([\w<>]+),", match.group(2), re.M)
        structs[match.group(1)] = fields
    keys = set()
    for field, kind in structs["Settings"]:
        if kind in structs and kind.endswith("Settings"):
            keys.update(f"{field}.{sub}" for sub, _ in structs[kind])
        else:
            keys.add(field)
    return keys


def env_names(node):
    """PYRED__ names set anywhere in a YAML document: mappings and `name:` items."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith("PYRED__"):
                yield key
            if key == "name" and isinstance(value, str) and value.startswith("PYRED__"):
                yield value
            yield from env_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from env_names(item)


def toml_keys(table, prefix=""):
    for key, value in table.items():
        if isinstance(value, dict):
            yield from toml_keys(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def main() -> int:
    keys = known_keys(open(sys.argv[1], encoding="utf-8").read())
    if not {"data_dir", "registry.database_url", "server.host"} <= keys:
        print(f"cannot read the configuration keys from {sys.argv[1]}: {sorted(keys)}")
        return 1
    bad = []
    checked = 0
    for path in sys.argv[2:]:
        if path.endswith(".toml"):
            with open(path, "rb") as f:
                names = list(toml_keys(tomllib.load(f)))
        else:
            with open(path, encoding="utf-8") as f:
                names = [
                    name.removeprefix("PYRED__").lower().replace("__", ".")
                    for doc in yaml.safe_load_all(f)
                    for name in env_names(doc)
                ]
        for name in names:
            checked += 1
            if name not in keys:
                bad.append(f"{path}: {name} is not a configuration key")
    for line in sorted(set(bad)):
        print(line)
    print(f"configuration keys: {checked} checked, {len(set(bad))} unknown")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
