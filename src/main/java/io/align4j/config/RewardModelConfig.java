package io.align4j.config;

/**
 * A Bradley–Terry reward model ({@code align4j reward}): the starting LM's backbone with a scalar
 * head, trained on preference pairs with {@code −ln σ(r+ − r− − margin)}.
 */
public class RewardModelConfig extends PairDataConfig {
    /** The objective label of reward-model runs: the registry's name of Bradley–Terry. */
    public static final String OBJECTIVE = "bt";

    @Setting(value = "Margin m in −ln σ(r+ − r− − m); unset = 0.", hyperParameter = true)
    public Double margin;
    @Setting("Weight c of the centring term c·mean((r+ + r−)²), which pins the rewards' mean near 0"
            + " (TRL's center_rewards_coefficient); unset = off.")
    public Double centerRewardsCoefficient;
    @Setting(value = "Add α·ln π(a|x) of the backbone's own LM head, α learned (for labels that follow π* ∝ π_0·exp(r/τ));"
            + " false = the last-token head alone.", aliases = "--likelihood-term")
    public boolean rewardLikelihoodTerm = false;

    public RewardModelConfig() {
        objective = OBJECTIVE;
        output = "runs/reward";
    }
}
