# Makefile -- builds coffer and its tests.
#
#   make                 optimised build: build/release/coffer
#   make BUILD=asan      ASan+UBSan build: build/asan/...
#   make BUILD=tsan      ThreadSanitizer build: build/tsan/... (tests/it/tsan.sh)
#   make test            = scripts/test.sh: deps, ASan+UBSan build, every test
#   make bench           builds the benchmarks (release; needs librocksdb-dev)
#
# One choice of build tool (Make) for the whole tree. Every .c under src/
# except main.c goes into libcoffer.a; each tests/unit/**/X_test.c and
# tests/crash/X.c becomes its own binary linked with tests/test.c.
# The web console's files (console/) are compiled into libcoffer.a as a
# generated table: tools/embed.c, a host program, writes
# $(O)/gen/console_files.c (src/s3/console_files.h, doc/console.md).

BUILD ?= release
O := build/$(BUILD)

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE -g -pthread -Isrc -Itests $(WARN)
ifeq ($(BUILD),asan)
  OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else ifeq ($(BUILD),tsan)
  OPT := -O1 -fno-omit-frame-pointer -fsanitize=thread
else
  OPT := -O2
endif
CFLAGS_ALL := $(BASE_CFLAGS) $(OPT) $(CFLAGS)
LDLIBS := -lisal -lcrypto -lexpat -ljson-c -lpthread

LIB_SRCS := $(sort $(wildcard src/util/*.c src/engine/*.c src/store/*.c src/s3/*.c src/http/*.c src/net/*.c))
CONSOLE_FILES := $(sort $(wildcard console/*))
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o) $(O)/gen/console_files.o
UNIT_SRCS := $(sort $(wildcard tests/unit/*/*_test.c))
UNIT_BINS := $(UNIT_SRCS:%.c=$(O)/%)
CRASH_SRCS := $(sort $(wildcard tests/crash/*.c))
CRASH_BINS := $(CRASH_SRCS:%.c=$(O)/%)

.PHONY: all test unit clean bench
all: $(O)/coffer

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# a build tool, not part of coffer: no sanitizer, so it runs the same in every BUILD
$(O)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O2 $(WARN) -o $@ $< -lcrypto

# the directory too: its mtime changes when a file is added or removed
$(O)/gen/console_files.c: $(O)/tools/embed $(CONSOLE_FILES) console
	@mkdir -p $(dir $@)
	$(O)/tools/embed $@ $(CONSOLE_FILES)

$(O)/gen/console_files.o: $(O)/gen/console_files.c
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(O)/libcoffer.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(O)/coffer: $(O)/src/main.o $(O)/libcoffer.a
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS)

$(O)/tests/%: $(O)/tests/%.o $(O)/tests/test.o $(O)/libcoffer.a
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS)

unit: $(UNIT_BINS) $(CRASH_BINS) $(O)/coffer

test:
	bash scripts/test.sh

bench:
	$(MAKE) -C bench/engine

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
