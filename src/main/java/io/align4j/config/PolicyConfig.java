package io.align4j.config;

/**
 * Runs that align a policy against a reference ({@code align4j train}), offline or online: the
 * reference model and the objective hyper-parameters. A hyper-parameter left unset takes the
 * objective's own default (the specification's reported setting); one the chosen objective does
 * not take is an error.
 */
public abstract class PolicyConfig extends PairDataConfig {
    @Setting("Reference model π_0; unset = a frozen copy of the starting model (with LoRA: the base itself).")
    public String reference;

    @Setting(value = "β: the strength of the tie to π_0 (DPO family's inverse temperature, a KL weight, GRPO's KL coefficient).",
            hyperParameter = true)
    public Double beta;
    @Setting(value = "γ: PMLE's and PD's label temperature; RKL's entropy weight.", hyperParameter = true)
    public Double gamma;
    @Setting(value = "ε: cDPO's label-smoothing and robust DPO's label-noise rate.", hyperParameter = true)
    public Double epsilon;
    @Setting(value = "SimPO's target reward margin γ (in units of β).", hyperParameter = true)
    public Double gammaMargin;
    @Setting(value = "REBEL's η, the scale of the regressed reward difference.", hyperParameter = true)
    public Double eta;
    @Setting(value = "IPO: divide each log-ratio by the response's token count.", hyperParameter = true)
    public Boolean lengthNormalised;
    @Setting(value = "PD: z uses ln π_θ − ln π_t (the sampling policy) instead of ln π_θ.", hyperParameter = true)
    public Boolean ratioToSampling;
    @Setting(value = "PD: β shapes the scores, R̂ − β(ln π_t − ln π_0), instead of an explicit KL term.", hyperParameter = true)
    public Boolean klAsShaping;
    @Setting(value = "KTO: weight λ_D of the desirable examples' losses.", hyperParameter = true)
    public Double desirableWeight;
    @Setting(value = "KTO: weight λ_U of the undesirable examples' losses.", hyperParameter = true)
    public Double undesirableWeight;
}
