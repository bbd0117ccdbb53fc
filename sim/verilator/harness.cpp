// bnnc Verilator harness: streams a .bnnv vector file through a generated top level and
// records every result beat with cycle stamps. See docs/verification.md for the command
// line and the results-file format, docs/hardware.md for the port contract and
// docs/vector-format.md for the input file.
//
// The model class is always `Vtop` (the bridge verilates with `--prefix Vtop`), so this
// file needs no templating; the widths of s_axis_tdata / m_axis_tdata are whatever
// Verilator chose for the design (CData..QData or VlWide<N>) and are handled generically.
//
// Plain C++17; built by `verilator --cc --exe --build` together with the RTL.

#include "Vtop.h"
#include "verilated.h"
#ifdef BNNC_TRACE
#include "verilated_vcd_c.h"
#endif

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "harness: error: %s\n", msg.c_str());
    std::exit(2);
}

// ---------------------------------------------------------------------------------------
// Generic access to ports of any width. Verilator maps a port of w bits to uint8_t,
// uint16_t, uint32_t, uint64_t (w <= 64) or VlWide<ceil(w/32)>; we see them all as an
// array of 32-bit words, least significant first.

template <typename T>
constexpr int portWords(const T&) {
    static_assert(std::is_integral<T>::value, "unexpected port type");
    return sizeof(T) <= 4 ? 1 : 2;
}
template <std::size_t N>
constexpr int portWords(const VlWide<N>&) {
    return static_cast<int>(N);
}

// Bits the storage of a port can hold, and the most bits a narrower storage could hold:
// the port's real width lies in (minExclusive, capacity].
template <typename T>
constexpr int portCapacityBits(const T&) {
    return static_cast<int>(sizeof(T) * 8);
}
template <std::size_t N>
constexpr int portCapacityBits(const VlWide<N>&) {
    return static_cast<int>(N * 32);
}
template <typename T>
constexpr int portNarrowerBits(const T&) {
    return sizeof(T) == 1 ? 0 : static_cast<int>(sizeof(T) * 4);
}
template <std::size_t N>
constexpr int portNarrowerBits(const VlWide<N>&) {
    return static_cast<int>((N - 1) * 32);
}

template <typename T>
void setPort(T& port, const uint32_t* w) {
    uint64_t v = w[0];
    if (sizeof(T) > 4) v |= static_cast<uint64_t>(w[1]) << 32;
    port = static_cast<T>(v);
}
template <std::size_t N>
void setPort(VlWide<N>& port, const uint32_t* w) {
    for (std::size_t i = 0; i < N; ++i) port[i] = w[i];
}

template <typename T>
void getPort(const T& port, uint32_t* w) {
    const uint64_t v = static_cast<uint64_t>(port);
    w[0] = static_cast<uint32_t>(v);
    if (sizeof(T) > 4) w[1] = static_cast<uint32_t>(v >> 32);
}
template <std::size_t N>
void getPort(const VlWide<N>& port, uint32_t* w) {
    for (std::size_t i = 0; i < N; ++i) w[i] = port[i];
}

// The port must be exactly `bits` wide: Verilator's storage for it must be the one a
// `bits`-wide port gets.
template <typename T>
void checkPortWidth(const T& port, int bits, const char* name) {
    if (bits <= portNarrowerBits(port) || bits > portCapacityBits(port)) {
        die(std::string(name) + ": the design's port holds " +
            std::to_string(portNarrowerBits(port) + 1) + ".." +
            std::to_string(portCapacityBits(port)) + " bits but the vectors/options need " +
            std::to_string(bits) + " (wrong --in-pix, or vectors for another design?)");
    }
}

// ---------------------------------------------------------------------------------------
// Seeded PRNG (splitmix64): the gap and back-pressure patterns are reproducible.
struct SplitMix64 {
    uint64_t s;
    explicit SplitMix64(uint64_t seed) : s(seed) {}
    uint64_t next() {
        uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
};

// Bernoulli(p) with p in [0, 1], drawn from the top 53 bits.
struct Chance {
    SplitMix64 rng;
    double p;
    Chance(uint64_t seed, double prob) : rng(seed), p(prob) {}
    bool draw() {
        if (p <= 0.0) return false;
        if (p >= 1.0) return true;
        return static_cast<double>(rng.next() >> 11) * (1.0 / 9007199254740992.0) < p;
    }
};

// ---------------------------------------------------------------------------------------
// Vector file (docs/vector-format.md): only the pixels matter to the harness.
struct Vectors {
    uint32_t count = 0, pixels = 0, classes = 0;
    std::vector<uint8_t> images;  // count * pixels
};

uint32_t rd32(const std::vector<uint8_t>& b, size_t off, const std::string& path) {
    if (off + 4 > b.size()) die(path + ": truncated at byte " + std::to_string(off));
    return static_cast<uint32_t>(b[off]) | (static_cast<uint32_t>(b[off + 1]) << 8) |
           (static_cast<uint32_t>(b[off + 2]) << 16) | (static_cast<uint32_t>(b[off + 3]) << 24);
}

Vectors readVectors(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) die(path + ": cannot open: " + std::strerror(errno));
    std::vector<uint8_t> b;
    uint8_t buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) b.insert(b.end(), buf, buf + n);
    std::fclose(f);
    if (b.size() < 28 || std::memcmp(b.data(), "BNNV", 4) != 0) die(path + ": not a BNNV file");
    if (rd32(b, 4, path) != 1) die(path + ": unsupported version " + std::to_string(rd32(b, 4, path)));
    Vectors v;
    v.count = rd32(b, 8, path);
    v.pixels = rd32(b, 12, path);
    v.classes = rd32(b, 16, path);
    const uint32_t flags = rd32(b, 20, path);
    const uint32_t layers = rd32(b, 24, path);
    if ((flags & 1u) == 0 && layers != 0) die(path + ": L must be 0 when flag bit 0 is clear");
    if (v.pixels == 0 || v.classes == 0) die(path + ": pixels and classes must be positive");
    size_t actWords = 0;
    for (uint32_t l = 0; l < layers; ++l) actWords += (rd32(b, 28 + 4 * l, path) + 31) / 32;
    const size_t pixWords = (v.pixels + 3) / 4;
    const size_t record = 12 + 4 * static_cast<size_t>(v.classes) + 4 * pixWords + 4 * actWords;
    const size_t start = 28 + 4 * static_cast<size_t>(layers);
    if (b.size() != start + record * v.count)
        die(path + ": size " + std::to_string(b.size()) + " bytes, expected " +
            std::to_string(start + record * v.count));
    v.images.resize(static_cast<size_t>(v.count) * v.pixels);
    for (uint32_t r = 0; r < v.count; ++r) {
        const size_t off = start + record * r + 12 + 4 * static_cast<size_t>(v.classes);
        std::memcpy(&v.images[static_cast<size_t>(r) * v.pixels], &b[off], v.pixels);
    }
    return v;
}

// ---------------------------------------------------------------------------------------
struct Options {
    std::string vectors, results, vcd;
    int inPix = 0;
    double gaps = 0.0, backpressure = 0.0;
    uint64_t seed = 1;
    int resetCycles = 4;
    uint64_t stallLimit = 10000000;  // cycles without any handshake before giving up
    uint64_t drain = 1000;           // cycles run after the last expected result
    long traceFrom = -1, traceTo = -1;  // frames [from, to) are dumped to the VCD
    int traceDepth = 0;                 // 0 = all levels
    int randReset = 2;                  // 0 = zeros, 1 = ones, 2 = random initial state
    uint32_t progressEvery = 0;         // results between progress lines (0 = auto)
    double resets = 0.0;                // chance per frame of a reset while it is in flight
    uint64_t maxCycles = 0;             // cycle budget (0 = none): give up after this many
    uint64_t resultBeats = 0;           // beats of a frame its result depends on (0 = all)
};

void usage() {
    std::fprintf(stderr,
                 "usage: harness --vectors F --results F --in-pix N [--gaps P] [--backpressure P]\n"
                 "               [--seed S] [--reset-cycles N] [--stall-limit N] [--drain N]\n"
                 "               [--rand-reset 0|1|2] [--progress-every N] [--resets P] [--max-cycles N]\n"
                 "               [--result-beats N]\n"
                 "               [--vcd F --trace-from A --trace-to B [--trace-depth D]]\n");
    std::exit(2);
}

Options parseArgs(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        // Verilator's own plusargs pass through untouched.
        if (!a.empty() && a[0] == '+') continue;
        if (i + 1 >= argc) usage();
        const char* v = argv[++i];
        if (a == "--vectors") o.vectors = v;
        else if (a == "--results") o.results = v;
        else if (a == "--vcd") o.vcd = v;
        else if (a == "--in-pix") o.inPix = std::atoi(v);
        else if (a == "--gaps") o.gaps = std::atof(v);
        else if (a == "--backpressure") o.backpressure = std::atof(v);
        else if (a == "--seed") o.seed = std::strtoull(v, nullptr, 10);
        else if (a == "--reset-cycles") o.resetCycles = std::atoi(v);
        else if (a == "--stall-limit") o.stallLimit = std::strtoull(v, nullptr, 10);
        else if (a == "--drain") o.drain = std::strtoull(v, nullptr, 10);
        else if (a == "--trace-from") o.traceFrom = std::atol(v);
        else if (a == "--trace-to") o.traceTo = std::atol(v);
        else if (a == "--trace-depth") o.traceDepth = std::atoi(v);
        else if (a == "--rand-reset") o.randReset = std::atoi(v);
        else if (a == "--progress-every") o.progressEvery = static_cast<uint32_t>(std::atoi(v));
        else if (a == "--resets") o.resets = std::atof(v);
        else if (a == "--max-cycles") o.maxCycles = std::strtoull(v, nullptr, 10);
        else if (a == "--result-beats") o.resultBeats = std::strtoull(v, nullptr, 10);
        else usage();
    }
    if (o.vectors.empty() || o.results.empty() || o.inPix <= 0) usage();
    if (!(o.gaps >= 0 && o.gaps < 1) || !(o.backpressure >= 0 && o.backpressure < 1))
        die("--gaps and --backpressure must be in [0, 1)");
    if (o.resetCycles < 1) die("--reset-cycles must be at least 1");
    if (!(o.resets >= 0 && o.resets <= 0.5)) die("--resets must be in [0, 0.5]");
#ifndef BNNC_TRACE
    if (!o.vcd.empty()) die("--vcd needs the trace build of the harness");
#endif
    if (!o.vcd.empty() && (o.traceFrom < 0 || o.traceTo <= o.traceFrom))
        die("--vcd needs --trace-from A --trace-to B with 0 <= A < B");
    return o;
}

// One result beat as seen on m_axis.
struct Beat {
    uint64_t cycle;
    std::vector<uint32_t> words;
};

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parseArgs(argc, argv);
    const Vectors vec = readVectors(opt.vectors);

    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    // Random initial state (with --x-initial unique) proves that reset, not luck, brings
    // the design up; the seed keeps it reproducible.
    ctx->randReset(opt.randReset);
    ctx->randSeed(static_cast<int>(opt.seed & 0x7fffffff));
#ifdef BNNC_TRACE
    ctx->traceEverOn(true);
#endif
    auto top = std::make_unique<Vtop>(ctx.get(), "TOP");

    // Widths: s_axis_tdata is 8*IN_PIX bits, m_axis_tdata 16+32*C bits.
    checkPortWidth(top->s_axis_tdata, 8 * opt.inPix, "s_axis_tdata");
    checkPortWidth(top->m_axis_tdata, 16 + 32 * static_cast<int>(vec.classes), "m_axis_tdata");
    const int inWords = portWords(top->s_axis_tdata);
    const int outWords = portWords(top->m_axis_tdata);

    // Pack every beat of every frame up front (docs/hardware.md: pixel i of a frame is in
    // beat i / IN_PIX at bits [8*(i mod IN_PIX) +: 8]; padding bytes are zero).
    const uint32_t beatsPerFrame = (vec.pixels + opt.inPix - 1) / opt.inPix;
    const uint64_t totalBeats = static_cast<uint64_t>(beatsPerFrame) * vec.count;
    std::vector<uint32_t> beats(totalBeats * inWords, 0u);
    for (uint32_t f = 0; f < vec.count; ++f) {
        const uint8_t* img = &vec.images[static_cast<size_t>(f) * vec.pixels];
        for (uint32_t i = 0; i < vec.pixels; ++i) {
            const uint64_t beat = static_cast<uint64_t>(f) * beatsPerFrame + i / opt.inPix;
            const uint32_t bit = 8 * (i % opt.inPix);
            beats[beat * inWords + bit / 32] |= static_cast<uint32_t>(img[i]) << (bit % 32);
        }
    }

#ifdef BNNC_TRACE
    std::unique_ptr<VerilatedVcdC> tfp;
    std::string vcdTmp;
    if (!opt.vcd.empty()) {
        tfp = std::make_unique<VerilatedVcdC>();
        if (opt.traceDepth > 0) tfp->dumpvars(opt.traceDepth, "TOP");
        top->trace(tfp.get(), 99);
        vcdTmp = opt.vcd + ".tmp";
        tfp->open(vcdTmp.c_str());
    }
#endif
    bool tracing = false;
    // The clock period is 10 time units: inputs change (and the clock falls) at 10*c,
    // the clock rises at 10*c + 5, where c counts rising edges after reset.
    auto dump = [&](uint64_t t) {
#ifdef BNNC_TRACE
        if (tracing) tfp->dump(t);
#else
        (void)t;
#endif
    };

    // Reset: rst high for resetCycles rising edges with both handshakes idle.
    top->clk = 0;
    top->rst = 1;
    top->s_axis_tvalid = 0;
    top->s_axis_tlast = 0;
    top->m_axis_tready = 0;
    top->eval();
    // docs/hardware.md: while rst is high (from its first rising edge on) s_axis_tready
    // and m_axis_tvalid stay low, so no handshake can happen.
    uint64_t resetHandshakes = 0;
    for (int i = 0; i < opt.resetCycles; ++i) {
        top->clk = 1;
        top->eval();
        top->clk = 0;
        top->eval();
        if (top->s_axis_tready || top->m_axis_tvalid) ++resetHandshakes;
    }
    top->rst = 0;

    Chance gap(opt.seed * 2 + 1, opt.gaps);
    Chance stall(opt.seed * 2 + 2, opt.backpressure);

    std::vector<int64_t> firstIn(vec.count, -1), lastIn(vec.count, -1);
    std::vector<Beat> out;
    out.reserve(vec.count);
    uint64_t nextBeat = 0;  // next input beat to present
    bool inValid = false;   // a beat is presented and not yet accepted (AXI: hold it)
    uint64_t cycle = 0, lastFire = 0, doneCycle = 0, traceEndCycle = 0;
    bool timedOut = false, finished = false;
    const uint32_t progressEvery =
        opt.progressEvery > 0 ? opt.progressEvery : std::max<uint32_t>(1, vec.count / 100);
    std::vector<uint32_t> outBuf(outWords);

    // Resets in the middle of the stream (--resets P): when a frame's first beat is
    // accepted, with chance P a reset is planned, either mid-frame (after 1..B-1 of its
    // beats) or mid-result (once a result waits on m_axis, held there by tready low).
    // docs/hardware.md promises: the partial frame and every frame in flight are dropped
    // (the harness sends them again, from the first frame without a result), nothing
    // stale comes out (a result needs its frame's last beat accepted after the reset),
    // and the first beat presented after reset is accepted at once.
    enum class PendingReset { None, MidFrame, MidResult };
    PendingReset pending = PendingReset::None;
    Chance resetChance(opt.seed * 2 + 3, opt.resets);
    SplitMix64 resetRng(opt.seed * 2 + 4);
    uint64_t resetAtBeat = 0, resets = 0, staleResults = 0, lateAccept = 0;
    const uint64_t maxResets = 2 * static_cast<uint64_t>(vec.count) + 8;  // always terminates
    bool checkFirstBeat = false, budgetExceeded = false;
    auto doReset = [&]() {
        const int n = 1 + static_cast<int>(resetRng.next() % 3);
        top->rst = 1;
        top->s_axis_tvalid = 0;
        top->m_axis_tready = 0;
        for (int i = 0; i < n; ++i) {
            top->eval();
            dump(10 * cycle);
            top->clk = 1;
            top->eval();
            dump(10 * cycle + 5);
            top->clk = 0;
            top->eval();
            ++cycle;
            if (top->s_axis_tready || top->m_axis_tvalid) ++resetHandshakes;
        }
        top->rst = 0;
        // Every frame without a result is sent again, from its first beat.
        const uint64_t k = out.size();
        for (uint64_t fr = k; fr < vec.count; ++fr) firstIn[fr] = lastIn[fr] = -1;
        nextBeat = k * beatsPerFrame;
        inValid = false;
        pending = PendingReset::None;
        checkFirstBeat = true;
        lastFire = cycle;
        ++resets;
    };

    const auto t0 = std::chrono::steady_clock::now();
    while (true) {
        if (pending == PendingReset::MidFrame && nextBeat >= resetAtBeat) doReset();
        else if (pending == PendingReset::MidResult && top->m_axis_tvalid) doReset();
        // Drive this cycle's inputs (the clock is low).
        const bool firstAfterReset = checkFirstBeat && !inValid && nextBeat < totalBeats;
        checkFirstBeat = false;
        if (!inValid && nextBeat < totalBeats && (firstAfterReset || !gap.draw())) {
            inValid = true;
            setPort(top->s_axis_tdata, &beats[nextBeat * inWords]);
            top->s_axis_tlast = (nextBeat % beatsPerFrame) == beatsPerFrame - 1;
            const uint64_t frame = nextBeat / beatsPerFrame;
            if (nextBeat % beatsPerFrame == 0 && static_cast<long>(frame) == opt.traceFrom) tracing = true;
        }
        top->s_axis_tvalid = inValid;
        top->m_axis_tready = !stall.draw() && pending != PendingReset::MidResult;
        top->eval();
        dump(10 * cycle);
        if (firstAfterReset && !top->s_axis_tready) ++lateAccept;

        // Handshakes that complete at this rising edge.
        const bool inFire = inValid && top->s_axis_tready;
        const bool outFire = top->m_axis_tvalid && top->m_axis_tready;
        if (inFire) {
            const uint64_t frame = nextBeat / beatsPerFrame;
            const uint32_t pos = nextBeat % beatsPerFrame;
            if (pos == 0) firstIn[frame] = static_cast<int64_t>(cycle);
            if (pos == beatsPerFrame - 1) lastIn[frame] = static_cast<int64_t>(cycle);
            ++nextBeat;
            inValid = false;
            if (pos == 0 && pending == PendingReset::None && resets < maxResets && resetChance.draw()) {
                if (beatsPerFrame > 1 && (resetRng.next() & 1)) {
                    pending = PendingReset::MidFrame;
                    resetAtBeat = nextBeat + resetRng.next() % (beatsPerFrame - 1);
                } else {
                    pending = PendingReset::MidResult;
                }
            }
        }
        if (outFire) {
            getPort(top->m_axis_tdata, outBuf.data());
            // A result whose frame was not (re)sent since the last reset, as far as the
            // result depends on it (all its beats, or --result-beats: a ConvNet whose pools
            // drop the last rows), is stale. Frames are sent in order, so the beats of
            // frame k accepted since the reset are nextBeat - k * beatsPerFrame.
            const uint64_t need = opt.resultBeats > 0 ? std::min<uint64_t>(opt.resultBeats, beatsPerFrame) : beatsPerFrame;
            if (out.size() < vec.count &&
                static_cast<int64_t>(nextBeat) - static_cast<int64_t>(out.size() * beatsPerFrame) < static_cast<int64_t>(need))
                ++staleResults;
            out.push_back(Beat{cycle, outBuf});
            const size_t k = out.size();
            if (k % progressEvery == 0 || k == vec.count) {
                std::fprintf(stderr, "progress %zu %" PRIu64 "\n", k, cycle);
                std::fflush(stderr);
            }
            if (static_cast<long>(k) == opt.traceTo) traceEndCycle = cycle;
        }
        if (inFire || outFire) lastFire = cycle;

        top->clk = 1;
        top->eval();
        dump(10 * cycle + 5);
        top->clk = 0;
        ++cycle;

        // Stop dumping a few cycles after the result of the last traced frame.
        if (tracing && static_cast<long>(out.size()) >= opt.traceTo && cycle > traceEndCycle + 8)
            tracing = false;
        if (ctx->gotFinish()) die("the design executed $finish");
        if (!finished && out.size() >= vec.count) {
            finished = true;
            doneCycle = cycle;
        }
        // After the last expected result keep running for `drain` cycles, so that an
        // extra (duplicated) beat has the chance to show up.
        if (finished && cycle >= doneCycle + opt.drain) break;
        if (!finished && cycle - lastFire > opt.stallLimit) {
            timedOut = true;
            break;
        }
        if (!finished && opt.maxCycles > 0 && cycle >= opt.maxCycles) {
            budgetExceeded = true;
            break;
        }
    }
    const double simSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    top->final();
#ifdef BNNC_TRACE
    if (tfp) {
        tfp->close();
        if (std::rename(vcdTmp.c_str(), opt.vcd.c_str()) != 0) die("cannot rename " + vcdTmp);
    }
#endif

    // Results file (docs/verification.md), written beside and renamed into place.
    const std::string tmp = opt.results + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) die(tmp + ": cannot create: " + std::strerror(errno));
    std::fprintf(f, "BNNR 1\n");
    std::fprintf(f, "frames %u classes %u inpix %d beats_per_frame %u\n", vec.count, vec.classes,
                 opt.inPix, beatsPerFrame);
    for (size_t k = 0; k < out.size(); ++k) {
        const std::vector<uint32_t>& w = out[k].words;
        const int64_t fi = k < vec.count ? firstIn[k] : -1;
        const int64_t li = k < vec.count ? lastIn[k] : -1;
        std::fprintf(f, "B %zu %" PRId64 " %" PRId64 " %" PRIu64 " %u", k, fi, li, out[k].cycle,
                     w[0] & 0xffffu);
        for (uint32_t j = 0; j < vec.classes; ++j) {
            const uint32_t s = (w[j] >> 16) | (w[j + 1] << 16);
            std::fprintf(f, " %d", static_cast<int32_t>(s));
        }
        std::fprintf(f, "\n");
    }
    uint64_t framesIn = 0;
    for (uint32_t fr = 0; fr < vec.count; ++fr) framesIn += lastIn[fr] >= 0 ? 1 : 0;
    std::fprintf(f, "end cycles %" PRIu64 " sim_seconds %.6f timeout %d frames_in %" PRIu64
                 " beats %zu reset_ready %" PRIu64 " budget %d resets %" PRIu64 " stale %" PRIu64
                 " late_accept %" PRIu64 "\n",
                 cycle, simSeconds, timedOut ? 1 : 0, framesIn, out.size(), resetHandshakes,
                 budgetExceeded ? 1 : 0, resets, staleResults, lateAccept);
    if (std::fclose(f) != 0) die(tmp + ": write failed");
    if (std::rename(tmp.c_str(), opt.results.c_str()) != 0) die("cannot rename " + tmp);
    return 0;
}
