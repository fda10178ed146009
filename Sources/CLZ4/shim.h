// liblz4's block and streaming API (Debian: liblz4-dev).
#include <lz4.h>
