{
  "targets": [
    {
      "target_name": "ambit_netns",
      "sources": ["src/native/netns.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
