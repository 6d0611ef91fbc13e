package io.align4j.config;

/** The settings of runs that read preference pairs (reward models, offline objectives): which pairs to keep. */
public abstract class PairDataConfig extends RunConfig {
    @Setting("Preference data format: auto (detected from the records) or a layout's name (see align4j data --help).")
    public String format = "auto";
    @Setting("Leave out pairs (or unpaired completions) whose response is empty; false keeps them, an empty answer being a real one.")
    public boolean dropEmptyResponses = false;
    @Setting("Train only on pairs of this split (summarize-from-feedback's split field, e.g. train); unset = all.")
    public String split;
    @Setting("Train only on scored pairs with score_chosen − score_rejected ≥ this gap (UltraFeedback); unset = all.")
    public Double minScoreGap;
}
